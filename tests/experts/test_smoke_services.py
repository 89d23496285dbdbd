from experts import services
from experts.models import QuestionStatus, Reputation


def test_ask_answer_accept_verify_loop(question, answer, member, staff, expert):
    assert question.routing_rounds.count() == 1
    assert answer.by_expert
    question.refresh_from_db()
    assert question.status == QuestionStatus.ANSWERED
    services.answer_accept(answer=answer, by=member)
    services.answer_verify(answer=answer, by=staff)
    rep = Reputation.objects.get(user=expert.user)
    assert rep.points == 35
