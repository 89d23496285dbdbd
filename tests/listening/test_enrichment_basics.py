"""Pure enrichment functions: tracker matching, language and cluster keys."""

import re

import pytest

from listening.enrichment import (
    TrackerQuery,
    cluster_key,
    language_detect,
    trackers_matching,
)

# --- trackers -------------------------------------------------------------


def test_any_term_matches_whole_word_case_insensitively():
    query = TrackerQuery(1, any_terms=("vonk",))
    assert query.matches("Vonk!")
    assert query.matches("Ik ben klant bij VONK sinds 2019")
    assert query.matches("Vonk's app crashed again")


def test_any_term_does_not_match_inside_a_longer_word():
    query = TrackerQuery(1, any_terms=("vonk",))
    assert not query.matches("vonken vlogen in het rond")
    assert not query.matches("ontvonking")
    assert not query.matches("@vonk_nl help")


def test_plain_term_matches_hashtags_and_handles():
    query = TrackerQuery(1, any_terms=("vonk",))
    assert query.matches("Storing weer #vonk")
    assert query.matches("@vonk waarom is mijn rekening zo hoog?")


def test_hashtag_term_matches_only_the_hashtag():
    query = TrackerQuery(1, any_terms=("#vonk",))
    assert query.matches("Storing weer #Vonk")
    assert not query.matches("Storing weer bij Vonk")
    assert not query.matches("@vonk storing")


def test_handle_term_matches_only_the_handle():
    query = TrackerQuery(1, any_terms=("@vonk",))
    assert query.matches("@Vonk help")
    assert not query.matches("mail naar info@vonk.nl")
    assert not query.matches("vonk help")


def test_matching_is_accent_insensitive_both_ways():
    assert TrackerQuery(1, any_terms=("energie",)).matches("Énergie verte")
    assert TrackerQuery(1, any_terms=("café",)).matches("Cafe open")
    assert TrackerQuery(1, any_terms=("ideeen",)).matches("Goede ideeën!")


def test_star_term_matches_a_word_prefix():
    query = TrackerQuery(1, any_terms=("zonnepane*",))
    assert query.matches("Mijn zonnepanelen leveren niks op")
    assert query.matches("#Zonnepaneel kapot")
    assert not query.matches("zonne panelen")
    assert not query.matches("dakzonnepanelen")


def test_all_terms_must_all_match():
    query = TrackerQuery(1, all_terms=("vonk", "storing"))
    assert query.matches("Storing bij Vonk in Utrecht")
    assert not query.matches("Storing in Utrecht")
    assert not query.matches("Vonk in Utrecht")


def test_none_term_excludes_a_mention():
    query = TrackerQuery(1, any_terms=("vonk",), none_terms=("vacature*",))
    assert query.matches("Vonk rekening te hoog")
    assert not query.matches("Vonk zoekt collega's: vacatures op de site")


def test_phrase_matches_exact_word_sequence_ignoring_punctuation():
    query = TrackerQuery(1, phrases=("slimme meter",))
    assert query.matches("Mijn Slimme Meter geeft niks aan")
    assert query.matches("slimme-meter kapot")
    assert query.matches("is ie slimme,   meter?")
    assert not query.matches("slimmemeter kapot")
    assert not query.matches("meter slimme")
    assert not query.matches("slimme nieuwe meter")


def test_phrase_and_any_terms_both_required_when_both_given():
    query = TrackerQuery(1, any_terms=("vonk",), phrases=("slimme meter",))
    assert query.matches("Vonk slimme meter kapot")
    assert not query.matches("slimme meter kapot")
    assert not query.matches("Vonk meter kapot")


def test_query_without_positive_terms_matches_nothing():
    assert not TrackerQuery(1).matches("vonk")
    assert not TrackerQuery(1, none_terms=("spam",)).matches("vonk")
    assert not TrackerQuery(1, any_terms=("***", "  ")).matches("vonk ***")


def test_language_filter_uses_primary_subtag():
    query = TrackerQuery(1, any_terms=("vonk",), languages=("nl",))
    assert query.matches("Vonk storing", language="nl-BE")
    assert query.matches("Vonk storing", language="NL")
    assert not query.matches("Vonk outage", language="en")
    assert not query.matches("Vonk storing", language="")


def test_source_filter_on_kind():
    query = TrackerQuery(1, any_terms=("vonk",), source_kinds=("mastodon", "rss"))
    assert query.matches("Vonk", source_kind="mastodon")
    assert not query.matches("Vonk", source_kind="reddit")
    assert not query.matches("Vonk", source_kind="")


def test_query_accepts_lists_and_stays_hashable():
    query = TrackerQuery(1, any_terms=["vonk"], languages=["en"])
    assert query.any_terms == ("vonk",)
    assert hash(query) == hash(TrackerQuery(1, any_terms=("vonk",), languages=("en",)))


def test_trackers_matching_returns_matching_ids_in_order():
    queries = [
        TrackerQuery(3, any_terms=("vonk",)),
        TrackerQuery(1, any_terms=("greenwatt",)),
        TrackerQuery(2, any_terms=("zonnepane*",), languages=("nl",)),
        TrackerQuery(None, any_terms=("vonk",)),
        TrackerQuery(4, any_terms=("vonk",), source_kinds=("x",)),
    ]
    text = "Vonk of Greenwatt voor mijn zonnepanelen?"
    assert trackers_matching(queries, text, language="nl", source_kind="bluesky") == [
        3,
        1,
        2,
    ]
    assert trackers_matching(queries, text, language="en") == [3, 1]
    assert trackers_matching(queries, "niets hier") == []


# --- language ---------------------------------------------------------------

ENGLISH_POSTS = [
    "Just got my bill from @vonk and it's almost double last month?? what happened",
    "Power's been out on our street for three hours now. Any update Vonk?",
    "The Vonk app keeps logging me out every time I open it, super annoying",
    "Had the solar panels installed last week, the crew was quick and tidy 👍",
    "Does anyone know if Vonk pays you back for extra energy from your panels?",
    "Switched to Vonk in March and honestly no complaints so far",
    "Why does it take 40 minutes on hold to talk to someone at Vonk customer service",
    "My meter reading in the app doesn't match what's on the actual meter 🤔",
    "Thinking about getting a heat pump, does Vonk offer any deals on those?",
    "Outage again tonight, third time this month. Seriously considering switching",
    "Love that I can see my usage per hour now, really helps cut down on waste",
    "Got a refund from @vonk after they overcharged me, took a while but sorted",
    "Is the Vonk website down or is it just me? Can't log in to pay my invoice",
    "Our monthly payment went up again, nobody warned us about it #energyprices",
    "Shout out to the engineer who fixed our connection in the pouring rain",
    "Can I move my contract to a new address or do I need to cancel first?",
    "The new dashboard in the app is way clearer than the old one, nice work",
    "Still waiting for someone to come check the panels on our roof, been weeks",
    "Vonk sent me a letter saying I owe them money but I paid in full https://t.co/x1",
    "Honestly the cheapest green energy deal I could find this year",
]

DUTCH_POSTS = [
    "Net mijn jaarafrekening van @vonk binnen en ik moet 600 euro bijbetalen?!",
    "Al drie uur geen stroom in onze straat. Weet iemand wat er aan de hand is?",
    "De app van Vonk logt me steeds uit, echt irritant zo",
    "Vorige week zonnepanelen laten leggen, de monteurs waren snel en netjes 👍",
    "Krijg je bij Vonk eigenlijk iets terug voor de stroom die je teruglevert?",
    "Sinds maart klant bij Vonk en tot nu toe geen klachten",
    "Veertig minuten in de wacht bij de klantenservice, belachelijk",
    "De meterstand in de app klopt niet met wat er op de meter staat 🤔",
    "Wij overwegen een warmtepomp, heeft Vonk daar een aanbieding voor?",
    "Vanavond weer een storing, de derde keer deze maand. Ik ga overstappen",
    "Fijn dat ik nu per uur mijn verbruik kan zien, scheelt echt",
    "Eindelijk geld teruggekregen van @vonk nadat ze te veel hadden afgeschreven",
    "Is de website van Vonk plat of ligt het aan mij? Kan niet inloggen",
    "Ons maandbedrag is weer omhoog gegaan zonder dat iemand het ons liet weten",
    "Complimenten voor de monteur die in de stromende regen onze aansluiting maakte",
    "Kan ik mijn contract meenemen naar een nieuw adres of moet ik eerst opzeggen?",
    "Het nieuwe overzicht in de app is veel duidelijker dan het oude, goed gedaan",
    "Wachten nog steeds op iemand die de panelen op ons dak komt nakijken",
    "Vonk stuurt me een brief dat ik nog moet betalen maar alles is voldaan https://t.co/x2",
    "Eerlijk gezegd het goedkoopste groene energiecontract dat ik kon vinden",
]


def _accuracy(posts, expected):
    return sum(language_detect(p)[0] == expected for p in posts) / len(posts)


def test_language_detect_recognises_english_posts():
    assert _accuracy(ENGLISH_POSTS, "en") >= 0.9


def test_language_detect_recognises_dutch_posts():
    assert _accuracy(DUTCH_POSTS, "nl") >= 0.9


def test_language_detect_returns_a_confidence_between_zero_and_one():
    code, confidence = language_detect(
        "De monteur komt morgen de slimme meter vervangen"
    )
    assert code == "nl"
    assert 0.0 < confidence <= 1.0


def test_language_detect_returns_empty_for_too_short_text():
    assert language_detect("top!") == ("", 0.0)
    # Handles, links and emoji do not count towards the length.
    assert language_detect("@vonk_energie https://vonk.nl/storing 😡😡😡 ok") == (
        "",
        0.0,
    )


def test_language_detect_respects_min_chars():
    assert language_detect("Storing bij ons", min_chars=40) == ("", 0.0)


def test_language_detect_keeps_hashtag_words():
    code, _ = language_detect("#storing #stroomuitval #vonk #zonnepanelen")
    assert code == "nl"


def test_language_detect_rejects_unknown_language_codes():
    with pytest.raises(ValueError, match="xx"):
        language_detect("Power is out again", languages=("en", "xx"))
    with pytest.raises(ValueError):
        language_detect("Power is out again", languages=())


def test_language_detect_accepts_region_subtags_and_other_sets():
    code, _ = language_detect(
        "La facture d'électricité est beaucoup trop élevée ce mois-ci",
        languages=("en", "nl-BE", "fr"),
    )
    assert code == "fr"


# --- cluster keys -----------------------------------------------------------

ORIGINAL = "Weer een storing bij Vonk, al 3 uur geen stroom https://t.co/AbC123 #vonk"


def test_cluster_key_is_32_hex_characters():
    assert re.fullmatch(r"[0-9a-f]{32}", cluster_key(ORIGINAL))


@pytest.mark.parametrize(
    "variant",
    [
        ORIGINAL,
        "RT @piet: " + ORIGINAL,
        "RT @piet: RT @klaas: " + ORIGINAL,
        "Weer een storing bij Vonk, al 3 uur geen stroom https://bit.ly/9zz #vonk",
        "Weer een storing bij Vonk, al 3 uur geen stroom bit.ly/9zz #vonk",
        "weer een STORING bij vonk al 3 uur geen stroom #Vonk",
        "  Weer  een storing\nbij Vonk -- al 3 uur geen stroom!!  vonk  ",
        "“Weer een storing bij Vonk, al 3 uur geen stroom” #vonk via @piet",
        "> Weer een storing bij Vonk, al 3 uur geen stroom #vonk",
    ],
)
def test_cluster_key_is_shared_by_reposts_and_variants(variant):
    assert cluster_key(variant) == cluster_key(ORIGINAL)


def test_cluster_key_folds_accents():
    assert cluster_key("Geen idee wat er gebeurt") == cluster_key(
        "Géén idée wat er gebeurt"
    )


@pytest.mark.parametrize(
    "other",
    [
        "Weer een storing bij Vonk, al 4 uur geen stroom #vonk",
        "Weer een storing bij Greenwatt, al 3 uur geen stroom #vonk",
        "Geen storing bij Vonk, al 3 uur stroom #vonk",
        "@vonk weer een storing, al 3 uur geen stroom",
        "",
    ],
)
def test_cluster_key_differs_for_different_texts(other):
    assert cluster_key(other) != cluster_key(ORIGINAL)


def test_cluster_key_keeps_handles_distinct_from_words():
    assert cluster_key("bedankt @vonk") != cluster_key("bedankt vonk")


def test_cluster_key_does_not_merge_different_bare_links():
    assert cluster_key("https://t.co/aaa") != cluster_key("https://t.co/bbb")
