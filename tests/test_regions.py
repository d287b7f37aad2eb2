"""Tests for nakyma.regions: the Keski-Suomi region file, resolve() and find_in_text()."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nakyma.regions import (
    DEFAULT_REGION_FILE,
    Municipality,
    Region,
    fold,
    load_region,
)

# From /work/shared/reference/data-sources.md section 1.4:
# code -> (name, Sotkanet id in the 2013 snapshot, seutukunta)
REFERENCE = {
    "077": ("Hankasalmi", 35, "Jyväskylän seutukunta"),
    "172": ("Joutsa", 78, "Joutsan seutukunta"),
    "179": ("Jyväskylä", 85, "Jyväskylän seutukunta"),
    "182": ("Jämsä", 88, "Jämsän seutukunta"),
    "216": ("Kannonkoski", 101, "Saarijärvi-Viitasaaren seutukunta"),
    "226": ("Karstula", 108, "Saarijärvi-Viitasaaren seutukunta"),
    "249": ("Keuruu", 126, "Keuruun seutukunta"),
    "256": ("Kinnula", 132, "Saarijärvi-Viitasaaren seutukunta"),
    "265": ("Kivijärvi", 139, "Saarijärvi-Viitasaaren seutukunta"),
    "275": ("Konnevesi", 144, "Äänekosken seutukunta"),
    "312": ("Kyyjärvi", 171, "Saarijärvi-Viitasaaren seutukunta"),
    "410": ("Laukaa", 187, "Jyväskylän seutukunta"),
    "435": ("Luhanka", 208, "Joutsan seutukunta"),
    "495": ("Multia", 232, "Keuruun seutukunta"),
    "500": ("Muurame", 235, "Jyväskylän seutukunta"),
    "592": ("Petäjävesi", 280, "Jyväskylän seutukunta"),
    "601": ("Pihtipudas", 285, "Saarijärvi-Viitasaaren seutukunta"),
    "729": ("Saarijärvi", 336, "Saarijärvi-Viitasaaren seutukunta"),
    "850": ("Toivakka", 387, "Jyväskylän seutukunta"),
    "892": ("Uurainen", 402, "Jyväskylän seutukunta"),
    "931": ("Viitasaari", 427, "Saarijärvi-Viitasaaren seutukunta"),
    "992": ("Äänekoski", 452, "Äänekosken seutukunta"),
}

# Section 5: HYTE municipality groups (Äänekoski its own group).
HYTE = {
    "Jämsä–Keuruu": {"Jämsä", "Keuruu", "Multia", "Petäjävesi"},
    "Joutsa": {"Joutsa", "Luhanka", "Toivakka"},
    "Saarijärvi–Karstula": {"Karstula", "Kannonkoski", "Kivijärvi", "Kyyjärvi", "Saarijärvi"},
    "Jyväskylä–Muurame": {"Jyväskylä", "Muurame"},
    "Viitasaari": {"Viitasaari", "Pihtipudas", "Kinnula"},
    "Laukaa–Hankasalmi": {"Hankasalmi", "Laukaa", "Konnevesi", "Uurainen"},
    "Äänekoski": {"Äänekoski"},
}


@pytest.fixture(scope="module")
def region() -> Region:
    return load_region()


def _all_municipalities() -> tuple[Municipality, ...]:
    return load_region().municipalities


# --- The data file --------------------------------------------------------------------------


def test_region_metadata(region: Region) -> None:
    assert DEFAULT_REGION_FILE.is_file()
    assert region.key == "keski-suomi"
    assert region.name == "Keski-Suomen hyvinvointialue"
    assert region.code == "15"
    assert region.sotkanet_id == 965
    assert region.maakunta is not None
    assert (region.maakunta.code, region.maakunta.sotkanet_id) == ("13", 499)


def test_municipalities_match_reference_table(region: Region) -> None:
    assert len(region.municipalities) == 22
    got = {m.code: (m.name, m.sotkanet_id, m.seutukunta) for m in region.municipalities}
    assert got == REFERENCE


def test_kuhmoinen_is_not_in_keski_suomi(region: Region) -> None:
    assert "291" not in {m.code for m in region.municipalities}
    assert region.resolve("Kuhmoinen") is None
    assert region.resolve("291") is None
    with pytest.raises(KeyError):
        region.municipality("291")


def test_each_grouping_covers_every_municipality_exactly_once(region: Region) -> None:
    codes = sorted(m.code for m in region.municipalities)
    assert {g.key for g in region.groupings} >= {"hyte", "seutukunta"}
    for grouping in region.groupings:
        members = sorted(c for group in grouping.groups for c in group.members)
        assert members == codes, grouping.key


def test_hyte_grouping_is_the_default_and_matches_reference(region: Region) -> None:
    hyte = region.grouping()
    assert hyte.key == region.default_grouping == "hyte"
    assert hyte.title == "HYTE-kuntaryhmät"
    assert len(hyte.groups) == 7
    got = {g.name: {region.municipality(c).name for c in g.members} for g in hyte.groups}
    assert got == HYTE
    assert all(g.key.isascii() and g.key == g.key.lower() for g in hyte.groups)


def test_seutukunta_grouping(region: Region) -> None:
    seutukunnat = region.grouping("seutukunta")
    assert seutukunnat.title == "Seutukunnat"
    assert {g.name: g.sotkanet_id for g in seutukunnat.groups} == {
        "Jyväskylän seutukunta": 560,
        "Joutsan seutukunta": 561,
        "Keuruun seutukunta": 562,
        "Jämsän seutukunta": 563,
        "Äänekosken seutukunta": 564,
        "Saarijärvi-Viitasaaren seutukunta": 721,
    }
    for m in region.municipalities:
        assert region.group_of(m.code, "seutukunta").name == m.seutukunta


def test_group_of_and_lookups(region: Region) -> None:
    assert region.group_of("992").name == "Äänekoski"
    assert region.group_of("495").name == "Jämsä–Keuruu"
    assert region.group_of("500", "hyte").key == "jyvaskyla-muurame"
    assert region.municipality("179").name == "Jyväskylä"
    with pytest.raises(KeyError):
        region.group_of("291")
    with pytest.raises(KeyError):
        region.grouping("no-such-grouping")
    with pytest.raises(KeyError):
        region.municipality("k179")  # municipality() takes the exact code; resolve() is lenient


def test_load_region_is_cached() -> None:
    assert load_region() is load_region(DEFAULT_REGION_FILE)
    assert load_region() is load_region(str(DEFAULT_REGION_FILE))


def test_populations_are_plausible(region: Region) -> None:
    for m in region.municipalities:
        assert m.population is not None and m.population % 100 == 0
    total = sum(m.population or 0 for m in region.municipalities)
    assert 260_000 < total < 290_000  # Keski-Suomi has about 275,000 residents
    assert max(region.municipalities, key=lambda m: m.population or 0).name == "Jyväskylä"
    assert min(region.municipalities, key=lambda m: m.population or 0).name == "Luhanka"


@pytest.mark.parametrize("m", _all_municipalities(), ids=lambda m: m.name)
def test_forms_are_internally_consistent(m: Municipality) -> None:
    """Locatives agree (internal -ssa/-sta/-Vn or external -lla/-lta/-lle), genitive ends in -n."""
    assert m.genitive.endswith("n")
    assert m.name[:3] == m.genitive[:3] == m.in_form[:3] == m.partitive[:3]
    if m.in_form.endswith(("lla", "llä")):
        assert m.from_form.endswith(("lta", "ltä")) and m.to_form.endswith("lle")
        assert m.from_form[:-3] == m.in_form[:-3] == m.to_form[:-3]
    else:
        assert m.in_form.endswith(("ssa", "ssä"))
        assert m.from_form.endswith(("sta", "stä")) and m.to_form.endswith("n")
        assert m.from_form[:-3] == m.in_form[:-3]
    assert m.partitive.endswith(("a", "ä"))
    assert all(s == s.lower() for s in m.demonym_stems)


# --- resolve() ------------------------------------------------------------------------------

RESOLVE_CASES = [
    # nominative, genitive, locatives, partitive
    ("Jyväskylä", "179"),
    ("Jyväskylän", "179"),
    ("Jyväskylässä", "179"),
    ("Jyväskylästä", "179"),
    ("Jyväskylään", "179"),
    ("Jyväskylää", "179"),
    ("Äänekoski", "992"),
    ("Äänekosken", "992"),
    ("Äänekoskella", "992"),
    ("Äänekoskelta", "992"),
    ("Äänekoskelle", "992"),
    ("Äänekoskea", "992"),
    ("Laukaa", "410"),
    ("Laukaassa", "410"),
    ("Laukaaseen", "410"),
    ("Laukaata", "410"),
    ("Jämsää", "182"),
    ("Jämsään", "182"),
    ("Muurameen", "500"),
    ("Muuramessa", "500"),
    ("Petäjävedellä", "592"),
    ("Petäjävettä", "592"),
    ("Keuruulla", "249"),
    ("Keuruuta", "249"),
    ("Joutsassa", "172"),
    ("Joutsaan", "172"),
    ("Hankasalmella", "077"),
    ("Hankasalmea", "077"),
    ("Kannonkoskelle", "216"),
    ("Karstulaan", "226"),
    ("Kinnulassa", "256"),
    ("Kivijärveä", "265"),
    ("Konnevedeltä", "275"),
    ("Kyyjärvelle", "312"),
    ("Luhangan", "435"),
    ("Luhankaan", "435"),
    ("Multia", "495"),
    ("multia", "495"),  # resolve() is for typed input: case-insensitive, even for "multia"
    ("Multialta", "495"),
    ("Pihtiputaan", "601"),
    ("Pihtiputaalla", "601"),
    ("Pihtipudasta", "601"),
    ("Saarijärveltä", "729"),
    ("Toivakkaan", "850"),
    ("Toivakassa", "850"),
    ("Uuraisten", "892"),
    ("Uuraisilla", "892"),
    ("Uuraista", "892"),
    ("Viitasaarta", "931"),
    ("Viitasaarelle", "931"),
    # Jämsänkoski, merged into Jämsä in 2009
    ("Jämsänkoski", "182"),
    ("Jämsänkoskella", "182"),
    # codes
    ("179", "179"),
    ("k179", "179"),
    ("K179", "179"),
    ("KU179", "179"),
    ("077", "077"),
    ("77", "077"),  # a spreadsheet dropped the leading zero
    (" 992 ", "992"),
    # folded, upper-case, whitespace and suffix variants
    ("aanekoski", "992"),
    ("JYVASKYLA", "179"),
    (" Jyväskylässä ", "179"),
    ("petajavedella", "592"),
    ("JÄMSÄNKOSKI", "182"),
    ("\tviitasaari\n", "931"),
    ("Jyväskylän kaupunki", "179"),
    ("Laukaan kunta", "410"),
    ("Uuraisten  KUNTA", "892"),
    ("Äänekosken kaupungin", "992"),
    ("Saarijärvi.", "729"),
    ("Jyva\u0308skyla\u0308", "179"),  # decomposed ä (NFD input)
]


@pytest.mark.parametrize(("written", "code"), RESOLVE_CASES)
def test_resolve(region: Region, written: str, code: str) -> None:
    m = region.resolve(written)
    assert m is not None, written
    assert m.code == code


@pytest.mark.parametrize(
    "written",
    [
        "",
        "   ",
        "Kuhmoinen",
        "Tampere",
        "Helsingissä",
        "Keski-Suomi",
        "Keski-Suomen hyvinvointialue",
        "kunta",
        "Jyväskylä Laukaa",
        "Jyväskyläläiset",  # demonyms are for free text, not typed input
        "Jyväskylässäkin",
        "000",
        "1000",
        "k",
        "Keuruuseen",
        "Jyväsky",
    ],
)
def test_resolve_unknown(region: Region, written: str) -> None:
    assert region.resolve(written) is None


def test_resolve_non_str_returns_none(region: Region) -> None:
    assert region.resolve(None) is None  # type: ignore[arg-type]
    assert region.resolve(179) is None  # type: ignore[arg-type]


def test_fold() -> None:
    assert fold("  Äänekoski   Jyväskylä\tÅbo  Café ") == "aanekoski jyvaskyla abo cafe"
    assert fold("ÖLJY") == "oljy"
    assert fold("") == ""


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text())
def test_resolve_never_raises(text: str) -> None:
    result = load_region().resolve(text)
    assert result is None or isinstance(result, Municipality)


@given(st.text())
def test_find_in_text_never_raises(text: str) -> None:
    assert isinstance(load_region().find_in_text(text), list)


@given(st.sampled_from(_all_municipalities()), st.sampled_from(["fold", "upper", "lower"]))
def test_resolve_every_form(m: Municipality, variant: str) -> None:
    region = load_region()
    assert region.resolve(fold(m.name)) == m
    for form in m.forms:
        written = {"fold": fold(form), "upper": form.upper(), "lower": form.lower()}[variant]
        assert region.resolve(written) == m, written


# --- find_in_text() -------------------------------------------------------------------------

TEXT_CASES = [
    ("Äänekoskella suljetaan uimahalli remontin ajaksi", ["992"]),
    ("Jyväskylän ja Laukaan välinen tie suljetaan kolmeksi viikoksi", ["179", "410"]),
    ("Saarijärveltä löytyi kadonnut koira", ["729"]),
    ("Jämsänkoskella syttyi tulipalo yöllä", ["182"]),
    ("Nuoret jyväskyläläiset voivat aiempaa huonommin", ["179"]),
    ("Kinnulassakin odotetaan ensilunta", ["256"]),
    ("Joutsassahan se festivaali taas järjestetään", ["172"]),
    ("Pellolle levitettiin multaa ja multia", []),
    # A capitalised "Multia" is taken as the municipality, even at the start of a sentence where
    # it could be the partitive of multa; headlines like "Multia hakee ..." are more likely.
    ("Multia kylvettiin pellolle", ["495"]),
    ("Multialla järjestetään perhetapahtuma", ["495"]),
    ("Kävin eilen multialla", ["495"]),  # only the nominative collides with multa
    ("Keski-Suomen hyvinvointialue avaa uuden sote-keskuksen", []),
    ("Pihtiputaalla ja Viitasaarella äänestettiin kouluverkosta", ["601", "931"]),
    ("Uuraisilta Jyväskylään kulkeva bussivuoro lakkautetaan", ["892", "179"]),
    ("Petäjäveden vanha kirkko houkuttelee turisteja", ["592"]),
    ("Konnevedellä ja Hankasalmella kokeillaan kutsuohjattua kyytiä", ["275", "077"]),
    ("Muuramesta Jyväskylän keskustaan pääsee nyt pyörätietä", ["500", "179"]),
    ("Keuruulla kiistellään terveysaseman aukioloajoista", ["249"]),
    ("Toivakkaan ja Luhankaan suunnitellaan yhteistä nuorisotilaa", ["850", "435"]),
    ("Karstulan, Kyyjärven ja Kivijärven koulut yhdistyvät", ["226", "312", "265"]),
    ("Kannonkoskelta muuttaa nuoria pois", ["216"]),
    ("Äänekoskelaisille luvassa uusi terveysasema", ["992"]),
    ("Laukaalaiset perheet saavat lisää tukea", ["410"]),
    ("Petäjävetiset ja konnevesiläiset nuoret kisasivat", ["592", "275"]),
    ("Jämsä–Keuruu-ryhmän neuvottelu pidettiin Multian kunnantalolla", ["182", "249", "495"]),
    (
        "Jyväskylässäkin nuorten mielenterveyspalveluihin on jonoa, kertoo jyväskyläläinen "
        "psykologi",
        ["179"],
    ),
    ("Kuhmoisissa ja Tampereella satoi eilen", []),
    ("Helsingissä ja Jyväskylässä mitattiin ilmanlaatua", ["179"]),
    ("Saarijärvi-Viitasaaren seutukunnassa työttömyys laski", ["729", "931"]),
    ("Jyväskyläläisnuoret kokoontuivat torille", ["179"]),
    ("Pihtipudasta ja Kinnulaa yhdistää valtatie 4", ["601", "256"]),
    ("Jämsänjoen varrella kalastetaan taas", []),  # "Jämsän" inside a word is not a mention
    ("Viitasaarelle rakennetaan koulu, kertoo viitasaarelainen rehtori", ["931"]),
    ("Kivijärveläiset ja kyyjärveläiset kohtasivat kentällä", ["265", "312"]),
    ("Laukaa, Jyväskylä ja taas Laukaa: kolmen kunnan kierros", ["410", "179"]),
    ("Aanekoskella satoi (ASCII ilman pisteitä)", ["992"]),
    ("MULTIALLA JA JÄMSÄSSÄ SATOI", ["495", "182"]),
    ("Toivakkalaiset ja luhankalaiset innostuivat", ["850", "435"]),
    ("Uuraislaiset nuoret ja muuramelaiset seniorit", ["892", "500"]),
    ("Hankasalmelaisille ja pihtiputaalaisille uusi palvelu", ["077", "601"]),
    ("Laukaassakaan ei ole tarpeeksi sijaisia", ["410"]),
    ("Jämsäläinen yrittäjä voitti palkinnon", ["182"]),
    ("Ikäihmisten palvelut puhuttavat maakunnassa", []),
]


@pytest.mark.parametrize(("text", "codes"), TEXT_CASES)
def test_find_in_text(region: Region, text: str, codes: list[str]) -> None:
    assert [m.code for m in region.find_in_text(text)] == codes


@pytest.mark.parametrize("m", _all_municipalities(), ids=lambda m: m.name)
def test_find_in_text_finds_every_form_stem_and_clitic(region: Region, m: Municipality) -> None:
    for form in m.forms:
        for word in (form, form + "kin", form + "hän", form + "kaan", form.upper()):
            assert region.find_in_text(f"Uutinen: {word} tänään.") == [m], word
    for stem in m.demonym_stems:
        for ending in ("nen", "set", "sten", "sille", "siä"):
            assert region.find_in_text(f"Monet {stem}{ending} ovat tyytyväisiä") == [m]
    # Not inside another word.
    assert region.find_in_text(f"x{m.genitive.lower()}y") == []


# --- Loader errors --------------------------------------------------------------------------


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_REGION_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        # Multia in no HYTE group
        (
            'members = ["182", "249", "495", "592"]',
            'members = ["182", "249", "592"]',
            r"grouping 'hyte': municipality '495' \(Multia\) is in no group",
        ),
        # Joutsa's code changed to Jyväskylä's
        ('code = "172"', 'code = "179"', r"duplicate municipality code '179'"),
        # Jyväskylä in two HYTE groups
        (
            'members = ["992"]',
            'members = ["992", "179"]',
            r"municipality '179' \(Jyväskylä\) is in more than one group",
        ),
        # an empty form
        ('in_form = "Keuruulla"', 'in_form = ""', r"'in_form' must be a non-empty string"),
        # a typo in a key name
        ('from_form = "Keuruulta"', 'from_fomr = "Keuruulta"', r"unknown key\(s\) 'from_fomr'"),
        # a group member that doesn't exist
        ('members = ["992"]', 'members = ["992", "291"]', r"unknown municipality '291'"),
        # default grouping missing
        ('default_grouping = "hyte"', 'default_grouping = "x"', r"default_grouping 'x'"),
        # seutukunta field disagrees with the grouping
        (
            'seutukunta = "Joutsan seutukunta"',
            'seutukunta = "Jämsän seutukunta"',
            r"seutukunta 'Jämsän seutukunta' but grouping 'seutukunta'",
        ),
        # the same written form for two municipalities
        ('genitive = "Joutsan"', 'genitive = "Jyväskylän"', r"form 'Jyväskylän' is also a form of"),
        # broken TOML syntax
        ('name = "Multia"', 'name = "Multia', r"not valid TOML"),
        # a code that isn't three digits
        ('code = "077"', 'code = "77"', r"code must be three digits"),
    ],
)
def test_broken_file_raises_value_error(tmp_path: Path, old: str, new: str, problem: str) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(ValueError, match=problem) as excinfo:
        load_region(path)
    assert str(path) in str(excinfo.value)


def test_loads_a_copy_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "copy.toml"
    path.write_text(DEFAULT_REGION_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    copy = load_region(path)
    assert copy is not load_region()
    assert copy == load_region()
