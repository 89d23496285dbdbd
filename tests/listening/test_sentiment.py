"""Sentiment for English (VADER) and Dutch (lexicon) posts about "Vonk", an
energy company. The labelled posts are written as customers write them, not
lexicon words; the targeted tests pin the rules: negation, modifiers, "maar",
emphasis, emoji and emoticons, and the backend registry."""

import pytest

from listening.enrichment.sentiment import (
    NEUTRAL,
    SENTIMENT_BACKENDS,
    Sentiment,
    register_sentiment_backend,
    sentiment_analyse,
)

# The first nine posts per class were written alongside the Dutch lexicon. The
# last five per class were written afterwards and scored blind: English 12/15,
# Dutch 15/15; only the "nooit zo" rule was added after seeing them.
ENGLISH_POSTS = {
    "positive": [
        "Switched to Vonk last month and the whole process was smooth, great job!",
        "Huge thanks to the Vonk support team, my meter issue was fixed within a day",
        "@VonkEnergy your app is really easy to use, love the daily usage graphs",
        "Vonk refunded the overpayment without any hassle. Happy customer here 😊",
        "Got a friendly and helpful agent on the phone at Vonk today 👍",
        "Honestly the best energy supplier I have had so far. Thanks Vonk!",
        "Solar panel feed-in tariff from Vonk is a nice surprise this year",
        "Vonk's new green plan is excellent value, I'd recommend it to anyone",
        "Impressed by how quickly Vonk restored power after the storm ❤️",
        "Had a billing question and Vonk sorted it out in one call, very pleased",
        "The Vonk engineer was on time and super polite, thank you",
        "Lower monthly payment after switching to Vonk, brilliant",
        "Vonk actually listened to my feedback. Well done 👏",
        "Really enjoying the new energy insights in the Vonk app",
    ],
    "negative": [
        "Vonk is the worst. Three weeks and still no answer to my complaint",
        "Terrible customer service from @VonkEnergy, on hold for 45 minutes again 😡",
        "My Vonk bill doubled and nobody can explain why. Ridiculous.",
        "Power outage for the third time this week, thanks for nothing Vonk",
        "The Vonk app keeps crashing when I try to submit my meter reading",
        "Vonk charged me twice this month. This is a scam 👎",
        "Really disappointed with Vonk, they cancelled my contract without asking",
        "Avoid Vonk at all costs, awful company and rude staff",
        "So frustrated with Vonk, the smart meter has been broken since March",
        "Vonk raised my direct debit again without warning, unacceptable",
        "No power for two hours and Vonk had no idea what was going on",
        "Nobody at Vonk picks up the phone, useless",
        "Wrong advance payment amounts every single month, I'm fed up with Vonk",
        "Never again Vonk. Worst experience ever",
    ],
    "neutral": [
        "Does Vonk offer a fixed price contract for three years?",
        "Vonk announced new tariffs for 2025 today",
        "How do I change my bank account number in the Vonk app?",
        "Vonk will do planned maintenance in Utrecht on Tuesday morning",
        "Moving house next month, need to transfer my Vonk contract",
        "Is the Vonk office in Amsterdam open on Saturdays?",
        "Vonk sends the annual statement in January",
        "Which meter reading does Vonk need when I move out?",
        "Reading the Vonk quarterly report on renewable sourcing",
        "Does anyone know if Vonk installs charging points?",
        "Vonk takes over another grid area in Zeeland from March",
        "My contract with Vonk ends in June",
        "How much does a smart meter cost at Vonk?",
        "Vonk staff will be at the Saturday market in Zwolle",
    ],
}


DUTCH_POSTS = {
    "positive": [
        "Overgestapt naar Vonk en alles verliep soepel, echt een aanrader!",
        "Wat een vriendelijke medewerker had ik vandaag aan de lijn bij Vonk 👍",
        "Storing binnen een uur opgelost, top gedaan Vonk",
        "@Vonk bedankt voor het snelle antwoord, super geholpen",
        "De nieuwe app van Vonk is heel overzichtelijk, fijn om mijn verbruik te zien",
        "Eindelijk een energiebedrijf dat doet wat het belooft. Blij met Vonk 😊",
        "Keurig terugbetaald door Vonk, geen gedoe. Zeer tevreden klant!",
        "Complimenten aan de monteur van Vonk, vakkundig en geduldig",
        "Vonk heeft echt de beste klantenservice die ik ken ❤️",
        "Monteur van Vonk was op tijd en legde alles rustig uit, heel prettig",
        "Mijn voorschot is eindelijk verlaagd, dank je Vonk!",
        "Vonk denkt echt mee met mijn betalingsregeling, chapeau",
        "Nog nooit zo snel een antwoord gekregen van een energieleverancier 👏",
        "Goede tarieven en een duidelijke rekening, wat wil je nog meer",
    ],
    "negative": [
        "Al drie weken geen reactie van Vonk op mijn klacht. Belachelijk!",
        "Waardeloze klantenservice, 45 minuten in de wacht gestaan 😡",
        "De jaarafrekening van Vonk klopt niet en niemand kan het uitleggen",
        "Alweer een stroomstoring in onze wijk, wat een ellende met Vonk",
        "De app van Vonk crasht steeds en inloggen lukt niet",
        "Vonk heeft twee keer afgeschreven deze maand. Oplichters!",
        "Zwaar teleurgesteld in Vonk, contract zomaar opgezegd zonder overleg",
        "Ik raad Vonk niemand aan, onbeschofte medewerkers en trage afhandeling",
        "Slimme meter doet het al maanden niet en Vonk reageert nergens op 👎",
        "Vonk verhoogt weer het vaste leveringstarief, bizar gewoon",
        "Twee uur zonder stroom en Vonk weet van niks",
        "Klantenservice van Vonk is een lachertje, niemand neemt op",
        "Ik krijg steeds verkeerde voorschotbedragen, ben er helemaal klaar mee",
        "Nooit meer Vonk. Echt de slechtste ervaring ooit",
    ],
    "neutral": [
        "Heeft Vonk ook een vast contract voor drie jaar?",
        "Vonk maakt vandaag de nieuwe tarieven voor 2025 bekend",
        "Hoe wijzig ik mijn rekeningnummer in de app van Vonk?",
        "Dinsdagochtend gepland onderhoud door Vonk in Utrecht",
        "Beste Vonk, ik verhuis volgende maand. Wat moet ik doorgeven?",
        "Is het kantoor van Vonk in Amsterdam op zaterdag open?",
        "Vonk stuurt de jaarafrekening in januari",
        "Welke meterstand heeft Vonk nodig bij een verhuizing?",
        "Vonk publiceert het kwartaalverslag over duurzame inkoop",
        "Weet iemand of Vonk ook laadpalen levert?",
        "Vonk neemt vanaf maart een andere netbeheerder over in Zeeland",
        "Mijn contract bij Vonk loopt af in juni",
        "Hoeveel kost een slimme meter bij Vonk?",
        "Vonk-medewerkers staan zaterdag op de markt in Zwolle",
    ],
}


def _labelled(posts: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(text, label) for label, texts in posts.items() for text in texts]


def _accuracy(posts: dict[str, list[str]], language: str) -> float:
    labelled = _labelled(posts)
    hits = sum(
        sentiment_analyse(text, language=language).label == label
        for text, label in labelled
    )
    return hits / len(labelled)


def _score(text: str, language: str) -> float:
    return sentiment_analyse(text, language=language).score


@pytest.fixture
def restore_backends():
    saved = dict(SENTIMENT_BACKENDS)
    yield
    SENTIMENT_BACKENDS.clear()
    SENTIMENT_BACKENDS.update(saved)


def test_english_posts_are_labelled_with_at_least_80_percent_accuracy():
    assert len(_labelled(ENGLISH_POSTS)) >= 25
    assert _accuracy(ENGLISH_POSTS, "en") >= 0.8


def test_dutch_posts_are_labelled_with_at_least_80_percent_accuracy():
    assert len(_labelled(DUTCH_POSTS)) >= 25
    assert _accuracy(DUTCH_POSTS, "nl") >= 0.8


def test_every_class_is_present_in_both_labelled_sets():
    for posts in (ENGLISH_POSTS, DUTCH_POSTS):
        assert set(posts) == {"positive", "neutral", "negative"}
        assert all(len(texts) >= 8 for texts in posts.values())


def test_score_is_a_compound_between_minus_one_and_one():
    for text, _ in _labelled(ENGLISH_POSTS):
        assert -1.0 <= _score(text, "en") <= 1.0
    for text, _ in _labelled(DUTCH_POSTS):
        assert -1.0 <= _score(text, "nl") <= 1.0


def test_dutch_niet_goed_is_negative():
    result = sentiment_analyse("De service van Vonk is niet goed", language="nl")
    assert result.label == "negative"


def test_dutch_niet_slecht_is_mildly_positive():
    not_bad = _score("De service van Vonk is niet slecht", "nl")
    good = _score("De service van Vonk is goed", "nl")
    assert 0.05 <= not_bad < good


def test_dutch_negation_reaches_across_a_modifier():
    assert _score("Ik ben niet heel tevreden over Vonk", "nl") < 0


def test_dutch_geen_flips_a_negative_noun():
    assert _score("Sinds de overstap geen storingen meer gehad", "nl") > 0


def test_dutch_negated_verb_after_the_verb_is_negative():
    assert _score("De app van Vonk werkt nog steeds niet", "nl") < 0
    assert _score("De app van Vonk werkt weer", "nl") == 0.0


def test_dutch_negation_stops_at_the_end_of_a_clause():
    assert _score("Niet te geloven, wat een goede service", "nl") > 0


def test_english_not_bad_is_positive():
    assert sentiment_analyse(
        "Vonk's service is not bad at all", language="en"
    ).label == ("positive")


def test_english_not_good_is_negative():
    assert _score("The Vonk helpdesk was not good this time", "en") < 0


def test_dutch_intensifiers_are_stronger_than_the_plain_word():
    plain = _score("De klantenservice van Vonk is goed", "nl")
    assert _score("De klantenservice van Vonk is heel goed", "nl") > plain
    assert _score("De klantenservice van Vonk is echt ontzettend goed", "nl") > plain
    negative = _score("De app van Vonk is traag", "nl")
    assert _score("De app van Vonk is erg traag", "nl") < negative
    assert _score("De app van Vonk is vreselijk traag", "nl") < negative


def test_dutch_dampeners_are_weaker_than_the_plain_word():
    plain = _score("De app van Vonk is traag", "nl")
    assert plain < _score("De app van Vonk is een beetje traag", "nl") < 0


def test_dutch_intensifying_prefix_is_stronger_than_the_plain_word():
    assert _score("Supersnel geholpen door Vonk", "nl") > _score(
        "Snel geholpen door Vonk", "nl"
    )


def test_english_intensifiers_are_stronger_than_the_plain_word():
    plain = _score("The Vonk app is good", "en")
    assert _score("The Vonk app is very good", "en") > plain


def test_dutch_maar_weights_the_clause_after_it():
    result = sentiment_analyse(
        "De app is mooi maar de storingen zijn verschrikkelijk", language="nl"
    )
    assert result.label == "negative"
    reverse = sentiment_analyse(
        "De storingen waren vervelend, maar de service was geweldig", language="nl"
    )
    assert reverse.label == "positive"


def test_dutch_maar_as_a_particle_does_not_shift_weight():
    particle = _score("Alleen maar storingen, wat een ellende", "nl")
    plain = _score("Storingen, wat een ellende", "nl")
    assert particle == plain


def test_english_but_weights_the_clause_after_it():
    assert _score("The app looks nice but the outages are horrible", "en") < 0


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("😡😡😡", "negative"),
        ("🤬", "negative"),
        ("👎", "negative"),
        ("😢😭", "negative"),
        ("👍", "positive"),
        ("🙏❤️", "positive"),
        ("😀😊", "positive"),
    ],
)
def test_emoji_only_posts_get_the_emoji_sentiment_in_both_languages(text, label):
    assert sentiment_analyse(text, language="nl").label == label
    assert sentiment_analyse(text, language="en").label == label


def test_emoji_with_skin_tone_counts_like_the_plain_emoji():
    assert _score("👍🏽", "nl") == _score("👍", "nl")


def test_unknown_emoji_is_neutral():
    assert sentiment_analyse("🚲", language="nl") == NEUTRAL


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Meterstand doorgegeven bij Vonk :)", "positive"),
        ("Meterstand doorgegeven bij Vonk :-)", "positive"),
        ("Weer een hogere rekening van Vonk :(", "negative"),
        ("Weer een hogere rekening van Vonk :-(", "negative"),
        ("Vonk <3", "positive"),
    ],
)
def test_dutch_emoticons_carry_sentiment(text, label):
    assert sentiment_analyse(text, language="nl").label == label


def test_english_emoticons_carry_sentiment():
    assert sentiment_analyse("Meter reading sent to Vonk :(", language="en").label == (
        "negative"
    )


def test_dutch_all_caps_word_is_stronger():
    plain = _score("De service van Vonk is slecht", "nl")
    assert _score("De service van Vonk is SLECHT", "nl") < plain


def test_dutch_exclamation_marks_are_stronger():
    plain = _score("De service van Vonk is goed", "nl")
    assert _score("De service van Vonk is goed!!!", "nl") > plain


def test_english_caps_and_exclamation_marks_are_stronger():
    plain = _score("Vonk support is great", "en")
    assert _score("Vonk support is GREAT", "en") > plain
    assert _score("Vonk support is great!!!", "en") > plain


def test_dutch_inflections_are_found():
    assert _score("Wat een trage afhandeling", "nl") < 0
    assert _score("Een van de snelste leveranciers", "nl") > 0
    assert _score("Boze klanten bij de balie van Vonk", "nl") < 0
    assert _score("Deze maand nog slechtere service gekregen", "nl") < 0


def test_dutch_letter_salutation_is_not_praise():
    assert (
        sentiment_analyse(
            "Beste Vonk, wanneer komt mijn jaarafrekening?", language="nl"
        )
        == NEUTRAL
    )
    assert (
        sentiment_analyse(
            "Graag een terugbelverzoek. Met vriendelijke groet, Anna", language="nl"
        )
        == NEUTRAL
    )


def test_dutch_slechts_is_not_slecht():
    assert sentiment_analyse("Slechts twee dagen tot de verhuizing", language="nl") == (
        NEUTRAL
    )


def test_urls_and_handles_do_not_count_as_words():
    assert (
        sentiment_analyse("@goedevonk zie https://vonk.nl/slecht-nieuws", language="nl")
        == NEUTRAL
    )


@pytest.mark.parametrize("language", ["fr", "de", "", "xx"])
def test_unknown_language_is_neutral(language):
    assert sentiment_analyse("C'est vraiment nul, Vonk !", language=language) == (
        NEUTRAL
    )


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_neutral(text):
    assert sentiment_analyse(text, language="nl") == NEUTRAL
    assert sentiment_analyse(text, language="en") == NEUTRAL


def test_text_without_sentiment_words_is_neutral():
    assert sentiment_analyse("Vonk Utrecht 2025", language="nl") == NEUTRAL


def test_language_code_with_region_uses_the_language_backend():
    assert sentiment_analyse("Heel goed geholpen", language="nl-NL").label == (
        "positive"
    )
    assert sentiment_analyse("Really helpful", language="EN_gb").label == "positive"


def test_custom_backend_is_used_for_its_language(restore_backends):
    register_sentiment_backend("de", lambda text: Sentiment(-0.6, "negative"))
    assert sentiment_analyse("Vonk ist schrecklich", language="de") == Sentiment(
        -0.6, "negative"
    )


def test_custom_backend_can_replace_a_default(restore_backends):
    register_sentiment_backend("NL", lambda text: Sentiment(0.9, "positive"))
    assert sentiment_analyse("Slechte service", language="nl").score == 0.9


def test_custom_backend_needs_a_language_code(restore_backends):
    with pytest.raises(ValueError):
        register_sentiment_backend(" ", lambda text: NEUTRAL)


def test_default_backends_cover_english_and_dutch():
    assert {"en", "nl"} <= set(SENTIMENT_BACKENDS)
