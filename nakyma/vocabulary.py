"""Controlled vocabularies: target groups, welfare themes, observer roles and user roles.

The labels are Finnish, marked with N_ for the message catalogues; pages translate them
where they show them (`{{ _(label) }}`)."""

from __future__ import annotations

from nakyma.i18n import N_

TARGET_GROUPS: dict[str, str] = {
    "lapset": N_("Lapset"),
    "nuoret": N_("Nuoret"),
    "perheet": N_("Perheet"),
    "tyoikaiset": N_("Työikäiset"),
    "ikaantyneet": N_("Ikääntyneet"),
    "vammaiset": N_("Vammaiset"),
    "kaikki": N_("Kaikki"),
}

# The three focus areas of the county's welfare plan 2026–2029, plus "other".
THEMES: dict[str, str] = {
    "arjen_turvallisuus": N_("Arjen turvallisuus"),
    "mielen_hyvinvointi": N_("Mielen hyvinvointi"),
    "liikunnallinen_elamantapa": N_("Liikunnallinen elämäntapa"),
    "muu": N_("Muu"),
}

# Who made the observation, by line of work. Kept coarse on purpose: in a small
# municipality a precise job title can identify the observer (and so the family).
OBSERVER_ROLES: dict[str, str] = {
    "opettaja": N_("Opettaja tai koulunkäynnin ohjaaja"),
    "oppilashuolto": N_("Oppilas- ja opiskeluhuolto (kuraattori, psykologi)"),
    "terveydenhoitaja": N_("Terveydenhoitaja tai neuvola"),
    "varhaiskasvatus": N_("Varhaiskasvatus"),
    "nuorisotyo": N_("Nuorisotyö"),
    "sosiaalityo": N_("Sosiaalityö tai -ohjaus"),
    "jarjesto": N_("Järjestö"),
    "seurakunta": N_("Seurakunta"),
    "kotihoito": N_("Kotihoito tai ikäihmisten palvelut"),
    "liikunta_kulttuuri": N_("Liikunta- tai kulttuuripalvelut"),
    "muu": N_("Muu"),
}

USER_ROLES: dict[str, str] = {
    "havainnoija": N_("Havainnoija"),
    "johto": N_("Johto"),
    "tukitiimi": N_("Tukitiimi"),
    "admin": N_("Ylläpitäjä"),
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
