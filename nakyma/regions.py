"""Regions: a wellbeing services county, its municipalities and groupings.

Also a resolver for written municipality names: `Region.resolve` for typed input (form fields,
CSV columns, API parameters) and `Region.find_in_text` for headlines and free text.

A region is data: one TOML file per county (see data/regions/keski-suomi.toml for the shape).
`load_region` reads and validates such a file; every problem is a ValueError naming the file.
"""

import dataclasses
import functools
import re
import statistics
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_REGION_FILE: Path = Path(__file__).parent / "data" / "regions" / "keski-suomi.toml"

_WHITESPACE = re.compile(r"\s+")
# A word in free text: a run of letters. Hyphens, dashes, digits and punctuation separate words,
# so "Jämsä–Keuruu" is two words and "Jämsänkoski" one (it doesn't contain the word "Jämsän").
_LETTERS = re.compile(r"[^\W\d_]+")
# A token of typed input: letters or digits.
_TOKEN = re.compile(r"\w+")
# Statistics Finland code as typed: "179", "077", "77" (a spreadsheet ate the zero), "k179",
# "KU179" (the PxWeb form), after fold().
_CODE = re.compile(r"(?:ku?)?\s?0*([0-9]{1,3})")
# Trailing words ignored by resolve(): "Laukaan kunta", "Jyväskylän kaupunki".
_ADMIN_WORDS = frozenset({"kunta", "kunnan", "kaupunki", "kaupungin"})
# Finnish clitics that can follow any form in free text ("Jyväskylässäkin", "Laukaassahan"),
# folded (kään -> kaan, hän -> han, kö -> ko, pä -> pa). At most two are stripped.
_CLITICS = ("kaan", "kin", "han", "ko", "pa")
_FORM_FIELDS = ("name", "genitive", "in_form", "from_form", "to_form", "partitive")


def fold(text: str) -> str:
    """Casefold, strip diacritics (ä->a, ö->o, å->a, é->e) and collapse whitespace."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _WHITESPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    genitive: str
    in_form: str
    from_form: str
    to_form: str
    partitive: str
    demonym_stems: tuple[str, ...]
    population: int | None
    sotkanet_id: int | None
    seutukunta: str
    # Other written forms that refer to this municipality (e.g. a former municipality merged
    # into it: Jämsänkoski -> Jämsä).
    other_forms: tuple[str, ...] = ()
    # Forms that are also ordinary Finnish words ("multia", plural partitive of multa, soil).
    # find_in_text counts them only when written with an initial capital letter.
    common_word_forms: tuple[str, ...] = ()
    # The Swedish name where it differs from the Finnish one (Pietarsaari: Jakobstad); None
    # for names both languages write alike (Pedersöre, Korsnäs) and in monolingual regions.
    name_sv: str | None = None

    @property
    def forms(self) -> tuple[str, ...]:
        """Every written form: nominative, genitive, locatives, partitive, other_forms, then
        the Swedish name (so that "Jakobstad" resolves and is found in text too)."""
        return (
            self.name,
            self.genitive,
            self.in_form,
            self.from_form,
            self.to_form,
            self.partitive,
            *self.other_forms,
            *((self.name_sv,) if self.name_sv else ()),
        )

    def name_in(self, language: str) -> str:
        """The municipality's name in a user interface language (Swedish where it has one)."""
        return self.name_sv if language == "sv" and self.name_sv else self.name


@dataclass(frozen=True)
class MunicipalityGroup:
    key: str
    name: str
    members: tuple[str, ...]  # municipality codes
    sotkanet_id: int | None = None
    name_sv: str | None = None  # the Swedish name, where the region file gives one

    def name_in(self, language: str) -> str:
        """The group's name in a user interface language (Swedish where it has one)."""
        return self.name_sv if language == "sv" and self.name_sv else self.name


@dataclass(frozen=True)
class Grouping:
    key: str
    title: str  # Finnish; the common titles ("Seutukunnat") are in the message catalogue
    groups: tuple[MunicipalityGroup, ...]
    title_sv: str | None = None

    def title_in(self, language: str) -> str:
        """The grouping's title in a user interface language: the region file's `title_sv`
        in Swedish, else the Finnish title (translate it where shown if it is a common one)."""
        return self.title_sv if language == "sv" and self.title_sv else self.title


@dataclass(frozen=True)
class Maakunta:
    code: str
    name: str
    sotkanet_id: int | None = None


# In an [sso] rule's claim_value: stands for any written form or code of a municipality
# ("nakyma-johto-{municipality}" matches "nakyma-johto-jamsa" and "nakyma-johto-182").
SSO_MUNICIPALITY_PLACEHOLDER = "{municipality}"
SSO_ROLES = ("havainnoija", "johto", "tukitiimi", "admin")  # as nakyma.vocabulary.USER_ROLES


@dataclass(frozen=True)
class SsoRule:
    """One claim value (a group or role the identity provider sends) and what it grants:
    a role and municipalities (Statistics Finland codes). See nakyma/sso.py."""

    claim_value: str
    role: str
    municipalities: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Pattern:
    """A form or demonym stem as folded words; the last word may match as a prefix."""

    words: tuple[str, ...]
    municipality: Municipality
    prefix: bool  # demonym stem: the last word only has to start with it
    needs_capital: bool  # common_word_forms: the first word must start with a capital letter


@dataclass(frozen=True)
class Region:
    key: str
    name: str
    code: str
    sotkanet_id: int | None
    municipalities: tuple[Municipality, ...]
    groupings: tuple[Grouping, ...]
    default_grouping: str
    maakunta: Maakunta | None = None
    # Single sign-on: claim values mapped to roles and municipalities ([sso] in the file).
    sso_rules: tuple[SsoRule, ...] = ()
    # The user interface's language when neither the user's setting nor the browser's
    # Accept-Language chooses one: "fi", "sv" or "en".
    default_language: str = "fi"
    name_sv: str | None = None

    def name_in(self, language: str) -> str:
        """The county's name in a user interface language."""
        return self.name_sv if language == "sv" and self.name_sv else self.name

    _by_code: dict[str, Municipality] = field(init=False, repr=False, compare=False)
    _by_form: dict[str, Municipality] = field(init=False, repr=False, compare=False)
    _patterns: dict[str, tuple[_Pattern, ...]] = field(init=False, repr=False, compare=False)
    _stems: tuple[_Pattern, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Check consistency (ValueError on any problem) and build the resolver indexes."""
        by_code: dict[str, Municipality] = {}
        by_form: dict[str, Municipality] = {}
        patterns: dict[str, list[_Pattern]] = {}
        stems: list[_Pattern] = []
        for m in self.municipalities:
            where = f"municipality {m.code!r} ({m.name})"
            if not re.fullmatch(r"[0-9]{3}", m.code):
                raise ValueError(f"{where}: code must be three digits")
            if m.code in by_code:
                raise ValueError(f"duplicate municipality code {m.code!r}")
            by_code[m.code] = m
            for attr in _FORM_FIELDS:
                if not getattr(m, attr).strip():
                    raise ValueError(f"{where}: {attr} is empty")
            if not m.seutukunta.strip():
                raise ValueError(f"{where}: seutukunta is empty")
            if not m.demonym_stems:
                raise ValueError(f"{where}: demonym_stems is empty")
            for form in m.forms:
                key = _resolve_key(form)
                if not _LETTERS.fullmatch(key.replace(" ", "")):
                    raise ValueError(f"{where}: form {form!r} must consist of letters")
                other = by_form.setdefault(key, m)
                if other is not m:
                    raise ValueError(
                        f"{where}: form {form!r} is also a form of {other.code!r} ({other.name})"
                    )
                words = tuple(_LETTERS.findall(fold(form)))
                needs_capital = form in m.common_word_forms
                patterns.setdefault(words[0], []).append(_Pattern(words, m, False, needs_capital))
            for form in m.common_word_forms:
                if form not in m.forms:
                    raise ValueError(f"{where}: common_word_forms {form!r} is not one of its forms")
            for written_stem in m.demonym_stems:
                words = tuple(_LETTERS.findall(fold(written_stem)))
                if len("".join(words)) < 5:
                    raise ValueError(
                        f"{where}: demonym stem {written_stem!r} is empty or too short"
                    )
                stems.append(_Pattern(words, m, True, False))
        if not by_code:
            raise ValueError("no municipalities")
        for stem in stems:
            for key, m in by_form.items():
                if m is not stem.municipality and _prefix_match(stem.words, key.split(" ")):
                    raise ValueError(
                        f"demonym stem {' '.join(stem.words)!r} of {stem.municipality.name} "
                        f"also matches {key!r} ({m.name})"
                    )
        object.__setattr__(self, "_by_code", by_code)
        object.__setattr__(self, "_by_form", by_form)
        # Longest patterns first, so that a multi-word name wins over a one-word prefix of it.
        object.__setattr__(
            self,
            "_patterns",
            {k: tuple(sorted(v, key=lambda p: -len(p.words))) for k, v in patterns.items()},
        )
        object.__setattr__(self, "_stems", tuple(stems))
        self._check_groupings()

    def _check_groupings(self) -> None:
        keys = [g.key for g in self.groupings]
        for key in keys:
            if not key.strip():
                raise ValueError("a grouping has an empty key")
            if keys.count(key) > 1:
                raise ValueError(f"duplicate grouping key {key!r}")
        if self.default_grouping not in keys:
            raise ValueError(f"default_grouping {self.default_grouping!r} is not a grouping")
        for grouping in self.groupings:
            where = f"grouping {grouping.key!r}"
            if not grouping.title.strip():
                raise ValueError(f"{where}: title is empty")
            seen: dict[str, str] = {}
            group_keys: set[str] = set()
            for group in grouping.groups:
                if not group.key.strip() or not group.name.strip():
                    raise ValueError(f"{where}: a group has an empty key or name")
                if group.key in group_keys:
                    raise ValueError(f"{where}: duplicate group key {group.key!r}")
                group_keys.add(group.key)
                if not group.members:
                    raise ValueError(f"{where}: group {group.key!r} has no members")
                for code in group.members:
                    if code not in self._by_code:
                        raise ValueError(
                            f"{where}: group {group.key!r} lists unknown municipality {code!r}"
                        )
                    if code in seen:
                        raise ValueError(
                            f"{where}: municipality {code!r} ({self._by_code[code].name}) is in "
                            f"more than one group ({seen[code]!r} and {group.key!r})"
                        )
                    seen[code] = group.key
            for m in self.municipalities:
                if m.code not in seen:
                    raise ValueError(f"{where}: municipality {m.code!r} ({m.name}) is in no group")
            if grouping.key == "seutukunta":
                for group in grouping.groups:
                    for code in group.members:
                        m = self._by_code[code]
                        if m.seutukunta != group.name:
                            raise ValueError(
                                f"municipality {code!r} ({m.name}): seutukunta {m.seutukunta!r} "
                                f"but grouping 'seutukunta' puts it in {group.name!r}"
                            )

    def populations(self) -> dict[str, float]:
        """Residents per municipality code, in the region's order; a municipality whose
        population the region file leaves out counts as the median of the known ones."""
        known = sorted(m.population for m in self.municipalities if m.population)
        default = float(statistics.median(known)) if known else 1.0
        return {m.code: float(m.population or default) for m in self.municipalities}

    def municipality(self, code: str) -> Municipality:
        """The municipality with this Statistics Finland code; KeyError if there is none."""
        return self._by_code[code]

    def resolve(self, written: str) -> Municipality | None:
        """Map any typed form of a municipality name or code to the municipality, else None.

        Accepts the nominative, genitive, locatives and partitive (and other_forms),
        case-insensitively and diacritic-tolerantly ("aanekoski", " JYVÄSKYLÄSSÄ "), with a
        trailing "kunta"/"kaupunki" ("Laukaan kunta"), and the Statistics Finland code
        ("179", "077", "77", "k179", "KU179"). Never raises for a str.
        """
        if not isinstance(written, str):
            return None
        key = _resolve_key(written)
        if not key:
            return None
        code = _CODE.fullmatch(key)
        if code is not None:
            return self._by_code.get(code.group(1).zfill(3))
        words = key.split(" ")
        if len(words) > 1 and words[-1] in _ADMIN_WORDS:
            key = " ".join(words[:-1])
        return self._by_form.get(key)

    def find_in_text(self, text: str) -> list[Municipality]:
        """Municipalities mentioned in free text, unique, in order of first mention.

        A mention is any form of the name (with an optional clitic: "Jyväskylässäkin") or a
        word starting with a demonym stem ("äänekoskelaisille"). Matching is on whole words,
        case-insensitive and diacritic-tolerant, except that common_word_forms ("multia") count
        only with an initial capital letter ("Multia").
        """
        words = [(w, fold(w)) for w in _LETTERS.findall(text)]
        folded = [f for _, f in words]
        found: dict[str, Municipality] = {}
        i = 0
        while i < len(words):
            hit = self._match_at(words, folded, i)
            if hit is None:
                i += 1
                continue
            m, length = hit
            found.setdefault(m.code, m)
            i += length
        return list(found.values())

    def _match_at(
        self, words: list[tuple[str, str]], folded: list[str], i: int
    ) -> tuple[Municipality, int] | None:
        original = words[i][0]
        for p in self._patterns.get(folded[i], ()) + self._single_word_with_clitic(folded[i]):
            n = len(p.words)
            if i + n > len(folded) or (p.needs_capital and not original[:1].isupper()):
                continue
            if n == 1 or (
                folded[i : i + n - 1] == list(p.words[:-1])
                and _without_clitics(folded[i + n - 1], p.words[-1])
            ):
                return p.municipality, n
        for p in self._stems:
            n = len(p.words)
            if i + n <= len(folded) and _prefix_match(p.words, folded[i : i + n]):
                return p.municipality, n
        return None

    def _single_word_with_clitic(self, word: str) -> tuple[_Pattern, ...]:
        """One-word patterns that `word` is, once one or two clitics are stripped."""
        for base in _clitic_bases(word):
            hits = tuple(p for p in self._patterns.get(base, ()) if len(p.words) == 1)
            if hits:
                return hits
        return ()

    def grouping(self, key: str | None = None) -> Grouping:
        """The grouping with this key (the default grouping when None); KeyError if unknown."""
        wanted = self.default_grouping if key is None else key
        for g in self.groupings:
            if g.key == wanted:
                return g
        raise KeyError(wanted)

    def group_name(self, key: str, name: str, language: str) -> str:
        """A group's name in `language`, found by its key and Finnish name in any grouping
        (pages get groups as plain data); `name` itself when no group matches."""
        for grouping in self.groupings:
            for group in grouping.groups:
                if group.key == key and group.name == name:
                    return group.name_in(language)
        return name

    def group_of(self, code: str, grouping: str | None = None) -> MunicipalityGroup:
        """The group of `grouping` (default grouping when None) that the municipality is in."""
        for group in self.grouping(grouping).groups:
            if code in group.members:
                return group
        raise KeyError(code)


def _resolve_key(text: str) -> str:
    """Folded words of typed input joined by single spaces: punctuation and dashes dropped."""
    return " ".join(_TOKEN.findall(fold(text)))


def _clitic_bases(word: str) -> list[str]:
    """`word` with one, then two clitics stripped (only those leaving a non-empty base)."""
    bases: list[str] = []
    current = [word]
    for _ in range(2):
        nxt = [w[: -len(c)] for w in current for c in _CLITICS if w.endswith(c) and len(w) > len(c)]
        bases.extend(nxt)
        current = nxt
    return bases


def _without_clitics(word: str, form: str) -> bool:
    return word == form or form in _clitic_bases(word)


def _prefix_match(stem: tuple[str, ...], words: list[str]) -> bool:
    n = len(stem)
    return (
        len(words) >= n and list(stem[:-1]) == words[: n - 1] and words[n - 1].startswith(stem[-1])
    )


# --- Loading --------------------------------------------------------------------------------


def load_region(path: Path | str | None = None) -> Region:
    """Load and validate a region file (the packaged Keski-Suomi file by default).

    Cached per resolved path. Raises ValueError naming the file for any problem in it.
    """
    return _load_region_cached(str(Path(path or DEFAULT_REGION_FILE).resolve()))


@functools.lru_cache(maxsize=16)
def _load_region_cached(path: str) -> Region:
    with open(path, "rb") as f:
        try:
            data = tomllib.load(f)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return _region_from_data(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


_REGION_KEYS = {
    "key",
    "name",
    "name_sv",
    "code",
    "sotkanet_id",
    "default_grouping",
    "default_language",
    "maakunta",
}
# The user interface languages a region may default to (nakyma.i18n.LANGUAGES).
_UI_LANGUAGES = ("fi", "sv", "en")
_MAAKUNTA_KEYS = {"code", "name", "sotkanet_id"}
_MUNICIPALITY_KEYS = {
    *_FORM_FIELDS,
    "code",
    "demonym_stems",
    "population",
    "sotkanet_id",
    "seutukunta",
    "other_forms",
    "common_word_forms",
    "name_sv",
}
_GROUPING_KEYS = {"key", "title", "title_sv", "groups"}
_GROUP_KEYS = {"key", "name", "name_sv", "members", "sotkanet_id"}


def _region_from_data(data: Mapping[str, Any]) -> Region:
    _check_keys(data, {"region", "municipalities", "groupings", "sso"}, "the file")
    region = _table(data, "region", "the file")
    _check_keys(region, _REGION_KEYS, "[region]")
    maakunta = None
    if "maakunta" in region:
        mk = _table(region, "maakunta", "[region]")
        _check_keys(mk, _MAAKUNTA_KEYS, "[region.maakunta]")
        maakunta = Maakunta(
            code=_str(mk, "code", "[region.maakunta]"),
            name=_str(mk, "name", "[region.maakunta]"),
            sotkanet_id=_opt_int(mk, "sotkanet_id", "[region.maakunta]"),
        )
    municipalities = tuple(
        _municipality(t, n) for n, t in enumerate(_tables(data, "municipalities", "the file"), 1)
    )
    groupings = tuple(
        _grouping(t, n) for n, t in enumerate(_tables(data, "groupings", "the file"), 1)
    )
    default_language = region.get("default_language", "fi")
    if default_language not in _UI_LANGUAGES:
        raise ValueError(
            f"[region]: default_language must be one of {', '.join(_UI_LANGUAGES)}, "
            f"not {default_language!r}"
        )
    loaded = Region(
        key=_str(region, "key", "[region]"),
        name=_str(region, "name", "[region]"),
        code=_str(region, "code", "[region]"),
        sotkanet_id=_opt_int(region, "sotkanet_id", "[region]"),
        municipalities=municipalities,
        groupings=groupings,
        default_grouping=_str(region, "default_grouping", "[region]"),
        maakunta=maakunta,
        default_language=default_language,
        name_sv=_opt_str(region, "name_sv", "[region]"),
    )
    if "sso" not in data:
        return loaded
    return dataclasses.replace(
        loaded, sso_rules=_sso_rules(_table(data, "sso", "the file"), loaded)
    )


_SSO_KEYS = {"rules"}
_SSO_RULE_KEYS = {"claim_value", "role", "municipalities"}


def _sso_rules(sso: Mapping[str, Any], region: Region) -> tuple[SsoRule, ...]:
    """[sso] rules = [{claim_value, role, municipalities}], municipalities resolved to codes.
    Leadership is always scoped: a `johto` rule names municipalities or uses the placeholder."""
    _check_keys(sso, _SSO_KEYS, "[sso]")
    rules = []
    for n, t in enumerate(_tables(sso, "rules", "[sso]"), 1):
        where = f"[sso] rule #{n}"
        _check_keys(t, _SSO_RULE_KEYS, where)
        value = _str(t, "claim_value", where)
        role = _str(t, "role", where)
        if role not in SSO_ROLES:
            raise ValueError(f"{where}: unknown role {role!r} (one of {', '.join(SSO_ROLES)})")
        codes = []
        for written in _str_list(t, "municipalities", where, required=False):
            m = region.resolve(written)
            if m is None:
                raise ValueError(f"{where}: unknown municipality {written!r}")
            codes.append(m.code)
        if value.count(SSO_MUNICIPALITY_PLACEHOLDER) > 1:
            raise ValueError(f"{where}: {SSO_MUNICIPALITY_PLACEHOLDER} may appear only once")
        if role == "johto" and not codes and SSO_MUNICIPALITY_PLACEHOLDER not in value:
            raise ValueError(
                f"{where}: a 'johto' rule needs municipalities or "
                f"{SSO_MUNICIPALITY_PLACEHOLDER} in its claim_value"
            )
        rules.append(SsoRule(claim_value=value, role=role, municipalities=tuple(codes)))
    return tuple(rules)


def _municipality(t: Mapping[str, Any], n: int) -> Municipality:
    where = f"municipality #{n}" + (f" ({t['name']})" if isinstance(t.get("name"), str) else "")
    _check_keys(t, _MUNICIPALITY_KEYS, where)
    population = _opt_int(t, "population", where)
    if population is not None and population < 0:
        raise ValueError(f"{where}: population must not be negative")
    return Municipality(
        code=_str(t, "code", where),
        name=_str(t, "name", where),
        genitive=_str(t, "genitive", where),
        in_form=_str(t, "in_form", where),
        from_form=_str(t, "from_form", where),
        to_form=_str(t, "to_form", where),
        partitive=_str(t, "partitive", where),
        demonym_stems=_str_list(t, "demonym_stems", where),
        population=population,
        sotkanet_id=_opt_int(t, "sotkanet_id", where),
        seutukunta=_str(t, "seutukunta", where),
        other_forms=_str_list(t, "other_forms", where, required=False),
        common_word_forms=_str_list(t, "common_word_forms", where, required=False),
        name_sv=_opt_str(t, "name_sv", where),
    )


def _grouping(t: Mapping[str, Any], n: int) -> Grouping:
    where = f"grouping #{n}"
    _check_keys(t, _GROUPING_KEYS, where)
    key = _str(t, "key", where)
    where = f"grouping {key!r}"
    groups = []
    for i, g in enumerate(_tables(t, "groups", where), 1):
        gwhere = f"{where}, group #{i}"
        _check_keys(g, _GROUP_KEYS, gwhere)
        groups.append(
            MunicipalityGroup(
                key=_str(g, "key", gwhere),
                name=_str(g, "name", gwhere),
                members=_str_list(g, "members", gwhere),
                sotkanet_id=_opt_int(g, "sotkanet_id", gwhere),
                name_sv=_opt_str(g, "name_sv", gwhere),
            )
        )
    return Grouping(
        key=key,
        title=_str(t, "title", where),
        groups=tuple(groups),
        title_sv=_opt_str(t, "title_sv", where),
    )


def _check_keys(t: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(t) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")


def _table(t: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = t.get(key)
    if not isinstance(value, dict):
        raise ValueError(f"{where}: missing table {key!r}")
    return value


def _tables(t: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    value = t.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"{where}: {key!r} must be a non-empty array of tables ([[{key}]])")
    return value


def _str(t: Mapping[str, Any], key: str, where: str) -> str:
    value = t.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {key!r} must be a non-empty string")
    return value


def _opt_str(t: Mapping[str, Any], key: str, where: str) -> str | None:
    if t.get(key) is None:
        return None
    return _str(t, key, where)


def _opt_int(t: Mapping[str, Any], key: str, where: str) -> int | None:
    value = t.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{where}: {key!r} must be an integer")
    return value


def _str_list(
    t: Mapping[str, Any], key: str, where: str, *, required: bool = True
) -> tuple[str, ...]:
    value = t.get(key)
    if value is None and not required:
        return ()
    if (
        not isinstance(value, list)
        or (required and not value)
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise ValueError(f"{where}: {key!r} must be a list of non-empty strings")
    return tuple(value)
