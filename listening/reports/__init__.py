"""The listening app's insight reports (portal.core.reports):

- ``listening``: volume, sentiment, share of voice, topics and terms,
  influential authors, intent mix and sales leads (listening/reports/listening.py,
  read from the daily rollup in listening/rollup.py);
- ``care``: response times against the SLA, the unanswered share and the
  backlog (listening/reports/care.py);
- ``invitations``: the consent ledger's conversion funnel and opt-outs
  (listening/reports/invitations.py).
"""

from django.utils.translation import gettext_lazy as _

from portal.core.reports import Report, register_report


def register() -> None:
    from . import care, invitations
    from . import listening as listening_report

    register_report(
        Report(
            "listening",
            _("Listening"),
            _("What people say in public about the brand, its rivals and topics."),
            form_class=listening_report.ListeningReportForm,
            order=10,
            icon="radio-full",
        )
    )
    register_report(
        Report(
            "care",
            _("Care"),
            _("How quickly and how completely the team answers social posts."),
            form_class=care.CareReportForm,
            order=20,
            icon="mail",
        )
    )
    register_report(
        Report(
            "invitations",
            _("Invitations"),
            _("Invitations into the community: offers, joins and opt-outs."),
            order=40,
            icon="user",
        )
    )
    listening_report.register()
    care.register()
    invitations.register()
