"""The words of the demo community, in English and Dutch.

A fictional Dutch energy and smart-home company, "Vonk", runs its customer
community on Seed. The content is here, apart from the command, so that
translators and editors can read it in one place.
"""

BRAND = {
    "brand_name": "Vonk",
    "tagline": "Energy that works for you. Ask, share and shape it with us.",
    "tagline_nl": "Energie die voor je werkt. Vraag, deel en bouw mee.",
    "support_email": "community@vonk.example",
}

FOCUS_AREAS = [
    {
        "slug": "billing",
        "name": "Billing and contracts",
        "name_nl": "Facturen en contracten",
        "description": "Bills, advance payments, tariffs and contract terms.",
        "first_answer_target_hours": 8,
    },
    {
        "slug": "solar",
        "name": "Solar panels and batteries",
        "name_nl": "Zonnepanelen en thuisbatterij",
        "description": "Feed-in, inverters, home batteries and net metering.",
        "first_answer_target_hours": 24,
    },
    {
        "slug": "app",
        "name": "Smart meter and app",
        "name_nl": "Slimme meter en app",
        "description": "Readings, the Vonk app and connecting your smart meter.",
        "first_answer_target_hours": 12,
    },
    {
        "slug": "moving",
        "name": "Moving house",
        "name_nl": "Verhuizen",
        "description": "Taking your contract along, meter readings on moving day.",
        "first_answer_target_hours": 24,
    },
    {
        "slug": "sustainability",
        "name": "Sustainability",
        "name_nl": "Duurzaamheid",
        "description": "Green energy, heat pumps and saving energy at home.",
        "first_answer_target_hours": 48,
    },
]

MEMBERS = [
    (
        "sanne",
        "sanne@vonk.example",
        "Sanne de Vries",
        "nl",
        "Zonnepanelen sinds 2021, en altijd benieuwd naar de cijfers.",
    ),
    (
        "joost",
        "joost@vonk.example",
        "Joost Bakker",
        "nl",
        "Elektrotechnicus. Ik help graag met omvormers en meterkasten.",
    ),
    (
        "amira",
        "amira@vonk.example",
        "Amira El Idrissi",
        "nl",
        "Net verhuisd naar Utrecht, op zoek naar slimme besparingen.",
    ),
    (
        "tom",
        "tom@vonk.example",
        "Tom Hendriks",
        "en",
        "Expat in Rotterdam. Heat pump enthusiast.",
    ),
    ("lisa", "lisa@vonk.example", "Lisa Janssen", "nl", ""),
    (
        "mark",
        "mark@vonk.example",
        "Mark O'Brien",
        "en",
        "Data nerd: I export my smart meter readings every week.",
    ),
]

STAFF = ("community", "community@vonk.example", "Eva (Vonk community team)", "nl")

# More of the community team (staff, not superusers): the care report shows
# response times per staff member.
TEAM = [("daan", "daan@vonk.example", "Daan (Vonk community team)", "nl")]

# How long ago each demo member joined (days), for "new members by source".
MEMBER_JOINED_DAYS_AGO = {
    "sanne": 400,
    "joost": 380,
    "amira": 150,
    "tom": 95,
    "lisa": 48,
    "mark": 21,
}

HOME = {
    "en": {
        "title": "Welcome to the Vonk community",
        "intro": "Ask other customers, share ideas that make Vonk better, and hear first what we do with them.",
        "body": [
            {
                "type": "hero",
                "value": {
                    "heading": "Your ideas shape Vonk",
                    "text": "More than 40 features in the Vonk app started as an idea from a customer. Vote on what matters to you, or ask our customer experts anything about energy at home.",
                    "button_text": "Join the community",
                    "button_link": "/en/accounts/signup/",
                },
            },
            {
                "type": "latest_ideas",
                "value": {
                    "heading": "Latest ideas",
                    "limit": 5,
                    "empty_text": "No ideas yet. Yours could be the first.",
                    "link_text": "",
                    "link": "",
                },
            },
            {
                "type": "open_questions",
                "value": {
                    "heading": "Open questions",
                    "limit": 5,
                    "empty_text": "No open questions right now.",
                    "link_text": "",
                    "link": "",
                },
            },
            {
                "type": "top_experts",
                "value": {
                    "heading": "Customer experts",
                    "limit": 5,
                    "empty_text": "Our first customer experts are joining soon.",
                    "link_text": "",
                    "link": "",
                },
            },
            {
                "type": "call_to_action",
                "value": {
                    "heading": "How we keep this a good place",
                    "text": "Be kind, stay on topic and never share your customer number in public.",
                    "button_text": "Read the community guidelines",
                    "button_link": "/en/community-guidelines/",
                },
            },
        ],
    },
    "nl": {
        "title": "Welkom in de Vonk community",
        "intro": "Stel je vraag aan andere klanten, deel ideeën die Vonk beter maken en hoor als eerste wat we ermee doen.",
        "body": [
            {
                "type": "hero",
                "value": {
                    "heading": "Jouw ideeën maken Vonk",
                    "text": "Meer dan 40 functies in de Vonk-app begonnen als idee van een klant. Stem op wat jij belangrijk vindt, of vraag onze klantexperts alles over energie in huis.",
                    "button_text": "Word lid van de community",
                    "button_link": "/nl/accounts/signup/",
                },
            },
            {
                "type": "latest_ideas",
                "value": {
                    "heading": "Nieuwste ideeën",
                    "limit": 5,
                    "empty_text": "Nog geen ideeën. Het jouwe kan het eerste zijn.",
                    "link_text": "",
                    "link": "",
                },
            },
            {
                "type": "open_questions",
                "value": {
                    "heading": "Open vragen",
                    "limit": 5,
                    "empty_text": "Er staan nu geen open vragen.",
                    "link_text": "",
                    "link": "",
                },
            },
            {
                "type": "top_experts",
                "value": {
                    "heading": "Klantexperts",
                    "limit": 5,
                    "empty_text": "Onze eerste klantexperts komen er binnenkort bij.",
                    "link_text": "",
                    "link": "",
                },
            },
            {
                "type": "call_to_action",
                "value": {
                    "heading": "Zo houden we het hier prettig",
                    "text": "Wees vriendelijk, blijf bij het onderwerp en deel nooit je klantnummer openbaar.",
                    "button_text": "Lees de communityregels",
                    "button_link": "/nl/communityregels/",
                },
            },
        ],
    },
}

STANDARD_PAGES = [
    {
        "key": "guidelines",
        "menu": True,
        "footer": True,
        "en": {
            "title": "Community guidelines",
            "slug": "community-guidelines",
            "intro": "This community belongs to its members. These few rules keep it useful and friendly.",
            "body": """<h2>Be kind</h2><p>Everyone here is a customer, just like you. Disagree with ideas, never with people.</p>
<h2>Keep your data to yourself</h2><p>Never post your customer number, address or bank details. For anything about your own contract, our support team will contact you privately.</p>
<h2>One topic, one idea</h2><p>Search before you post. If your idea already exists, vote for it: that counts for more than a new copy.</p>
<h2>Moderation</h2><p>Our community team removes posts that break these rules and explains why. You can flag any post you think does.</p>""",
        },
        "nl": {
            "title": "Communityregels",
            "slug": "communityregels",
            "intro": "Deze community is van de leden. Met deze paar regels blijft hij nuttig en prettig.",
            "body": """<h2>Wees vriendelijk</h2><p>Iedereen hier is klant, net als jij. Je mag het oneens zijn met ideeën, nooit met mensen.</p>
<h2>Houd je gegevens voor jezelf</h2><p>Deel nooit je klantnummer, adres of bankgegevens. Voor vragen over je eigen contract neemt ons serviceteam privé contact met je op.</p>
<h2>Eén onderwerp, één idee</h2><p>Zoek eerst. Bestaat je idee al? Stem erop: dat telt zwaarder dan een nieuwe kopie.</p>
<h2>Moderatie</h2><p>Ons communityteam verwijdert berichten die deze regels breken en legt uit waarom. Je kunt elk bericht melden.</p>""",
        },
    },
    {
        "key": "tone",
        "menu": False,
        "footer": True,
        "en": {
            "title": "Our tone of voice",
            "slug": "tone-of-voice",
            "intro": "How the Vonk team writes, in the community and on social media.",
            "body": """<h2>Personal</h2><p>We sign with our first name and write as we speak: "I'll look into it for you", not "Your request has been received".</p>
<h2>Honest</h2><p>When we got something wrong, we say so first, and then say what we are doing about it.</p>
<h2>Invited, never pushy</h2><p>Social media is your space. We only reply when it helps you, and we invite you to the community once, at most.</p>""",
        },
        "nl": {
            "title": "Onze tone of voice",
            "slug": "tone-of-voice",
            "intro": "Hoe het Vonk-team schrijft, in de community en op sociale media.",
            "body": """<h2>Persoonlijk</h2><p>We ondertekenen met onze voornaam en schrijven zoals we praten: "Ik zoek het voor je uit", niet "Uw verzoek is ontvangen".</p>
<h2>Eerlijk</h2><p>Als we iets fout deden, zeggen we dat eerst, en daarna wat we eraan doen.</p>
<h2>Uitgenodigd, nooit opdringerig</h2><p>Sociale media zijn jouw ruimte. We reageren alleen als het je helpt, en we nodigen je hooguit één keer uit voor de community.</p>""",
        },
    },
    {
        "key": "expert_guidelines",
        "menu": False,
        "footer": True,
        "en": {
            "title": "Guidelines for customer experts",
            "slug": "expert-guidelines",
            "intro": "Customer experts help their peers because they like to. These are the agreements we make together.",
            "body": """<h2>You decide how much</h2><p>Pause whenever you like, set quiet hours and a daily limit. Leaving is one click.</p>
<h2>Help, don't sell</h2><p>Give your honest experience. You never speak on behalf of Vonk; our staff do that.</p>
<h2>Sensitive cases go private</h2><p>If a question involves someone's personal situation or money troubles, flag it and our team takes it from there.</p>""",
        },
        "nl": {
            "title": "Richtlijnen voor klantexperts",
            "slug": "richtlijnen-klantexperts",
            "intro": "Klantexperts helpen andere klanten omdat ze dat leuk vinden. Dit zijn de afspraken die we samen maken.",
            "body": """<h2>Jij bepaalt hoeveel</h2><p>Pauzeer wanneer je wilt, stel stille uren en een daglimiet in. Stoppen is één klik.</p>
<h2>Help, verkoop niet</h2><p>Deel je eerlijke ervaring. Je spreekt nooit namens Vonk; dat doen onze medewerkers.</p>
<h2>Gevoelige zaken gaan privé</h2><p>Gaat een vraag over iemands persoonlijke situatie of geldzorgen? Meld het, dan neemt ons team het over.</p>""",
        },
    },
]

FAQ = {
    "en": {
        "title": "Frequently asked questions",
        "slug": "faq",
        "intro": "The answers our members and staff give most often.",
        "items": [
            (
                "How do I change my monthly advance payment?",
                "<p>Open the Vonk app, go to <b>Payments</b> and choose <b>Change advance</b>. We suggest an amount based on your usage, but you decide.</p>",
                "termijnbedrag advance payment monthly amount",
            ),
            (
                "My solar panels produce less than expected. What can I check?",
                "<p>First check the inverter display for error codes. Compare this month with the same month last year: winter output is often a quarter of summer output.</p>",
                "zonnepanelen opbrengst inverter omvormer",
            ),
            (
                "Which meter readings do I need when I move?",
                "<p>Take a photo of the electricity and gas meters on the day you hand over the keys, at both addresses. Enter them under <b>Moving</b> in the app.</p>",
                "verhuizen meterstanden moving readings",
            ),
            (
                "Is Vonk electricity really green?",
                "<p>Yes. All our electricity comes from Dutch wind and solar, with guarantees of origin that we publish every year.</p>",
                "groene stroom green energy origin",
            ),
        ],
    },
    "nl": {
        "title": "Veelgestelde vragen",
        "slug": "veelgestelde-vragen",
        "intro": "De antwoorden die onze leden en medewerkers het vaakst geven.",
        "items": [
            (
                "Hoe pas ik mijn termijnbedrag aan?",
                "<p>Open de Vonk-app, ga naar <b>Betalingen</b> en kies <b>Termijnbedrag wijzigen</b>. We stellen een bedrag voor op basis van je verbruik, maar jij beslist.</p>",
                "termijnbedrag voorschot maandbedrag",
            ),
            (
                "Mijn zonnepanelen leveren minder op dan verwacht. Wat kan ik controleren?",
                "<p>Kijk eerst op het display van de omvormer of er een foutcode staat. Vergelijk deze maand met dezelfde maand vorig jaar: in de winter is de opbrengst vaak een kwart van de zomer.</p>",
                "zonnepanelen opbrengst omvormer",
            ),
            (
                "Welke meterstanden heb ik nodig als ik verhuis?",
                "<p>Maak op de dag van de sleuteloverdracht een foto van de stroom- en gasmeter, op beide adressen. Vul ze in onder <b>Verhuizen</b> in de app.</p>",
                "verhuizen meterstanden",
            ),
            (
                "Is de stroom van Vonk echt groen?",
                "<p>Ja. Al onze stroom komt van Nederlandse wind en zon, met garanties van oorsprong die we elk jaar publiceren.</p>",
                "groene stroom duurzaam oorsprong",
            ),
        ],
    },
}

# The public accountability page: live figures from the same code as the staff
# reports (the keys are registered by the ideas and expertcare apps).
PUBLIC_FIGURES = [
    "ideas_launched_year",
    "median_official_response",
    "questions_answered_by_experts",
]

ACCOUNTABILITY = {
    "en": {
        "title": "How we listen",
        "slug": "how-we-listen",
        "intro": "You tell us what would make Vonk better. Here is what we do with it, in numbers that update by themselves.",
        "text": """<p>These figures come straight from the community, not from a slide deck: the same numbers our team sees every morning. When they look bad, you see that too.</p>
<h2>What the numbers mean</h2><ul><li><b>Ideas launched</b>: ideas from members that are now live for every customer.</li><li><b>Time to an official response</b>: how long it takes our team to say what happens with a new idea. We aim for two weeks.</li><li><b>Answered by customer experts</b>: the share of questions answered by fellow customers who volunteer as experts, rather than by our staff.</li></ul>""",
        "heading": "Vonk listens: the figures",
        "figures_intro": "Updated every few minutes.",
    },
    "nl": {
        "title": "Zo luisteren we",
        "slug": "zo-luisteren-we",
        "intro": "Jij vertelt ons wat Vonk beter maakt. Dit doen we ermee, in cijfers die zichzelf bijwerken.",
        "text": """<p>Deze cijfers komen rechtstreeks uit de community, niet uit een presentatie: dezelfde cijfers die ons team elke ochtend ziet. Zien ze er slecht uit, dan zie jij dat ook.</p>
<h2>Wat de cijfers betekenen</h2><ul><li><b>Gelanceerde ideeën</b>: ideeën van leden die nu voor elke klant live zijn.</li><li><b>Tijd tot een officiële reactie</b>: hoe lang ons team nodig heeft om te zeggen wat er met een nieuw idee gebeurt. We mikken op twee weken.</li><li><b>Beantwoord door klantexperts</b>: het deel van de vragen dat beantwoord is door medeklanten die vrijwillig expert zijn, en niet door onze medewerkers.</li></ul>""",
        "heading": "Vonk luistert: de cijfers",
        "figures_intro": "Elke paar minuten bijgewerkt.",
    },
}
