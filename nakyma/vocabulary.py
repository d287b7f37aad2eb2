"""Controlled vocabularies: target groups, welfare themes, observer roles and user roles."""

from __future__ import annotations

TARGET_GROUPS: dict[str, str] = {
    "lapset": "Lapset",
    "nuoret": "Nuoret",
    "perheet": "Perheet",
    "tyoikaiset": "Työikäiset",
    "ikaantyneet": "Ikääntyneet",
    "vammaiset": "Vammaiset",
    "kaikki": "Kaikki",
}

# The three focus areas of the county's welfare plan 2026–2029, plus "other".
THEMES: dict[str, str] = {
    "arjen_turvallisuus": "Arjen turvallisuus",
    "mielen_hyvinvointi": "Mielen hyvinvointi",
    "liikunnallinen_elamantapa": "Liikunnallinen elämäntapa",
    "muu": "Muu",
}

# Who made the observation, by line of work. Kept coarse on purpose: in a small
# municipality a precise job title can identify the observer (and so the family).
OBSERVER_ROLES: dict[str, str] = {
    "opettaja": "Opettaja tai koulunkäynnin ohjaaja",
    "oppilashuolto": "Oppilas- ja opiskeluhuolto (kuraattori, psykologi)",
    "terveydenhoitaja": "Terveydenhoitaja tai neuvola",
    "varhaiskasvatus": "Varhaiskasvatus",
    "nuorisotyo": "Nuorisotyö",
    "sosiaalityo": "Sosiaalityö tai -ohjaus",
    "jarjesto": "Järjestö",
    "seurakunta": "Seurakunta",
    "kotihoito": "Kotihoito tai ikäihmisten palvelut",
    "liikunta_kulttuuri": "Liikunta- tai kulttuuripalvelut",
    "muu": "Muu",
}

USER_ROLES: dict[str, str] = {
    "havainnoija": "Havainnoija",
    "johto": "Johto",
    "tukitiimi": "Tukitiimi",
    "admin": "Ylläpitäjä",
}

# Month names in the nominative, January first (charts, briefs, the name detector).
MONTHS_FI: tuple[str, ...] = (
    "tammikuu",
    "helmikuu",
    "maaliskuu",
    "huhtikuu",
    "toukokuu",
    "kesäkuu",
    "heinäkuu",
    "elokuu",
    "syyskuu",
    "lokakuu",
    "marraskuu",
    "joulukuu",
)
