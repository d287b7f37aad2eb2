"""Phenomenon titles are Finnish noun phrases from the members' words; keywords are nouns
and adjectives."""

from __future__ import annotations

from nakyma import titles
from nakyma.emerging import theme_title
from nakyma.finnish import voikko_analyses

NUUSKA = [
    "Asia nousi esiin tiimipalaverissa. Nuuskan käyttö yläkoulussa on lisääntynyt.",
    "Nuuskan käyttö yläkoulussa huolestuttaa. Huoltajille on tiedotettu.",
    "Asia nousi esiin tiimipalaverissa. Oppilaat kertovat nuuskan käytöstä välitunneilla.",
    "Nuuskaa myydään yläkoulun pihalla. Valvontaa on lisätty.",
]
OTHER = [
    "Asia nousi esiin tiimipalaverissa. Ikäihmiset kaatuvat liukkailla pihoilla.",
    "Asia nousi esiin tiimipalaverissa. Ruoka-avun jonot ovat kasvaneet.",
    "Omaishoitajat kertovat uupumuksesta. Asia nousi esiin tiimipalaverissa.",
    "Asia nousi esiin tiimipalaverissa. Maahan muuttaneiden perheiden lapset jäävät yksin.",
]


def test_title_is_a_noun_phrase_from_the_members_words() -> None:
    background = titles.document_shares(NUUSKA + OTHER)
    title = titles.phenomenon_title(NUUSKA, background=background, keywords=["nuuska"])
    assert title.startswith("Nuuska")
    assert "," not in title and len(title.split()) <= titles.MAX_WORDS
    assert title[0].isupper()
    # Boilerplate every group shares never names a group.
    assert "tiimipalaveri" not in title.lower()


def test_every_word_of_a_title_is_a_finnish_word_and_it_is_deterministic() -> None:
    background = titles.document_shares(NUUSKA + OTHER)
    group = [t.replace("muuttaneiden", "muuttaneiti") for t in OTHER]  # a typo in the data
    first = titles.phenomenon_title(group, background=background)
    assert all(voikko_analyses(word) for word in first.split())
    assert titles.phenomenon_title(group, background=background) == first


def test_without_a_noun_phrase_the_title_falls_back_to_keywords() -> None:
    assert titles.phenomenon_title(["Juoksee ja hyppii.", "Juoksee."], keywords=["a", "b"]) == (
        "A ja b"
    )
    assert titles.phenomenon_title([], keywords=[]) == "Nimeämätön ilmiö"


def test_keywords_are_voikko_nouns_and_adjectives_without_verbs() -> None:
    docs = [
        ["Nuoret antavat ilkeitä viestejä nimettömiltä tileiltä.", "Ilkeä viesti antaa."],
        ["Iäkäs asiakas kaatui pihalla.", "Kaatumiset lisääntyivät liukkailla pihoilla."],
    ]
    words = titles.class_keywords(docs)
    assert "antaa" not in words[0] and "ilkeä" in words[0]
    assert "kaatuminen" in words[1] and "kaatua" not in words[1]
    assert all(" " not in w for ws in words for w in ws)


def test_emerging_theme_gets_the_same_kind_of_title() -> None:
    class Theme:
        terms = ["nuuska", "yläkoulu"]

    background = titles.document_shares(NUUSKA + OTHER)
    assert theme_title(Theme(), NUUSKA, background).startswith("Nuuska")  # type: ignore[arg-type]
    assert theme_title(Theme()) == "Nuuska ja yläkoulu"  # type: ignore[arg-type]


SCOOTERS = [
    "Keskustassa ajelee iltaisin nuoria saman vuokralaudan päällä ilman kypärää.",
    "Kuudesluokkalaiset tulevat kouluun sähkölaudoilla, vaikka vuokraus on aikuisille.",
    "Terveydenhoitajalla on käynyt nuoria ruhjeiden kanssa sähköpotkulaudalla kaatumisen jälkeen.",
]


def test_a_small_group_written_in_varied_words_is_named_by_their_shared_compound_part() -> None:
    """Three texts, no noun in two of them: the compounds that end in "lauta" are kin, and one
    of them names the group; populations ("nuori") never do alone."""
    background = titles.document_shares(SCOOTERS + OTHER + NUUSKA)
    title = titles.phenomenon_title(SCOOTERS, background=background)
    assert title.lower().endswith("lauta"), title
    assert "nuori" not in title.lower()


def test_a_small_group_sharing_no_phrase_is_named_from_one_members_words(monkeypatch) -> None:
    """Four notes about a dental clinic without a dentist, no phrase in two of them: the
    phrase whose words are closest in meaning to all four names the group (word vectors),
    where the shared-phrase rule alone finds nothing to name it by."""
    texts = [
        "Hammashoitolassa on ollut kuukauden vain suuhygienisti, lääkärin paikka on auki.",
        "Lapsen maitohammas särki viikon, mutta kiireellistä aikaa ei saatu omasta kunnasta.",
        "Vanhemmat kysyivät, miksi hammaslääkäri ei ota uusia potilaita tänä syksynä.",
        "Iäkkäät ajavat naapurikuntaan hoitoon, kun oma vastaanotto ei pysty paikkaamaan hampaita.",
    ]
    background = {"lapsi": 0.2, "vanhempi": 0.15, "kunta": 0.1, "viikko": 0.1, "aika": 0.1}
    assert "hammas" in titles.phenomenon_title(texts, background=background).lower()
    monkeypatch.setattr(titles, "SMALL_GROUP", 0)  # as a large group: shared phrases only
    assert "hammas" not in titles.phenomenon_title(texts, background=background).lower()
