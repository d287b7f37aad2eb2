"""Writes base.jsonl of the emerging-theme benchmark: background topics, controls, growing themes.

Every text is an optional neutral opening, one observation sentence and one follow-up sentence
of the same topic; each fragment is a complete Finnish sentence, so every combination reads as
a whole. An observation only one role would write names that role ("[role] …"). Dates are
spread evenly over 2025-01-01..2026-10-31 with fewer items in summer, municipalities by
population (a softened weight, so the smallest still get one to three a quarter).
Controls keep a steady monthly count; growing themes double their rate over the span. The
planted emerging themes are hand-written and live in planted_*.jsonl, not here.

    /work/main/.venv/bin/python benchmarks/data/emerging/make_stream.py   # rewrites base.jsonl

Seeded and deterministic: the same run writes the same file. The same run also writes
plan.json (as-of dates, weekly evaluation dates, and the items of every labelled theme) from
base.jsonl and the planted files; PLANTED below names each planted theme, its part and
its as-of date (names only: the texts of the unseen parts are not in this script).
"""

from __future__ import annotations

import calendar
import json
import random
import re
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20250101
START = date(2025, 1, 1)
END = date(2026, 10, 31)
BASE_ITEMS = 1900
CONTROL_PER_MONTH = 6
GROWING_FIRST, GROWING_LAST = 3.0, 6.0

AS_OF = ["2025-11-30", "2026-04-26", "2026-10-25"]
EVAL_DAYS_BEFORE = 56

# Planted themes (hand-written in planted_*.jsonl): name -> (part, as-of date). The part was
# fixed before anything was run: per as-of date, alternately seen and unseen.
PLANTED = {
    "energiajuomat_viidesluokkalaiset": ("seen", "2025-11-30"),
    "huijauspuhelut_ikaantyneille": ("unseen", "2025-11-30"),
    "nuorisotila_kiinni_kauppakeskus": ("seen", "2025-11-30"),
    "kosteusvauriokoulu_seurakuntatalolla": ("unseen", "2025-11-30"),
    "somehaasteet_loukkaantumiset": ("seen", "2025-11-30"),
    "nikotiinipussit_tytoilla": ("unseen", "2025-11-30"),
    "bussivuoro_loppui_yhteisauto": ("seen", "2026-04-26"),
    "neuvola_ilman_tulkkia": ("unseen", "2026-04-26"),
    "rahapelit_valitunnilla": ("seen", "2026-04-26"),
    "energiajuomavarkaudet": ("unseen", "2026-04-26"),
    "vuokrapotkulaudat_nuorilla": ("seen", "2026-04-26"),
    "vuorotyo_lapset_yksin_aamuisin": ("unseen", "2026-04-26"),
    "apteekki_suljettu": ("seen", "2026-10-25"),
    "laihdutusvalmisteet_somesta": ("unseen", "2026-10-25"),
    "irtokoirat_koulumatkalla": ("seen", "2026-10-25"),
    "kuvakiristys_verkossa": ("unseen", "2026-10-25"),
    "yokotihoito_lopetettu": ("seen", "2026-10-25"),
    "kylapaivakoti_suljettu": ("unseen", "2026-10-25"),
    # Second held-out part (unseen2), written after the first unseen part was used once on
    # 2026-12-02: four new themes per as-of date, all for the next final check.
    "sahan_lomautukset": ("unseen2", "2025-11-30"),
    "ratapihalla_oleskelu": ("unseen2", "2025-11-30"),
    "myrskyn_sahkokatko_ikaantyneet": ("unseen2", "2025-11-30"),
    "koulun_vessat_lukossa": ("unseen2", "2025-11-30"),
    "heikot_jaat_oikotie": ("unseen2", "2026-04-26"),
    "kylakauppa_suljettu": ("unseen2", "2026-04-26"),
    "mopoautoralli_iltaisin": ("unseen2", "2026-04-26"),
    "huumekauppa_viestisovelluksessa": ("unseen2", "2026-04-26"),
    "luteet_opiskelija_asunnoissa": ("unseen2", "2026-10-25"),
    "marjanpoimijat_jumissa": ("unseen2", "2026-10-25"),
    "osamaksuvelat_nuorilla": ("unseen2", "2026-10-25"),
    "juomavesi_keittokehotus": ("unseen2", "2026-10-25"),
    # Third held-out part (unseen3), written after unseen2 was used once on 2026-12-02 and
    # before any change that followed it: the next final check.
    "ilotulitteet_nuorilla": ("unseen3", "2025-11-30"),
    "kuraattori_puuttuu": ("unseen3", "2025-11-30"),
    "omaishoidon_vapaat_peruttu": ("unseen3", "2025-11-30"),
    "koulun_ilkivalta_viikonloppuisin": ("unseen3", "2025-11-30"),
    "tulva_katkaisi_tien": ("unseen3", "2026-04-26"),
    "abiturienttien_uupumus": ("unseen3", "2026-04-26"),
    "postinjakelu_harvennettu": ("unseen3", "2026-04-26"),
    "hammashoitola_ilman_laakaria": ("unseen3", "2026-04-26"),
    "kouluruokala_remontissa": ("unseen3", "2026-10-25"),
    "nuorten_dopingaineet": ("unseen3", "2026-10-25"),
    "susihavainnot_kylalla": ("unseen3", "2026-10-25"),
    "sahkolaskut_perheet": ("unseen3", "2026-10-25"),
    # Fourth held-out part (unseen4), written 2026-12-02 by someone who had not seen the
    # detector's results, before the change that followed unseen3: the next final check.
    "katuvalot_sammutettu_oisin": ("unseen4", "2025-11-30"),
    "kerrostalo_evakuoitu": ("unseen4", "2025-11-30"),
    "tuulivoimatyomaa_kylalla": ("unseen4", "2025-11-30"),
    "vastaanottokeskus_avattu": ("unseen4", "2025-11-30"),
    "rahamuulit_nuorilla": ("unseen4", "2026-04-26"),
    "terveysasema_lakkautettu": ("unseen4", "2026-04-26"),
    "lastenkoti_avattu_kylalle": ("unseen4", "2026-04-26"),
    "liikuntahalli_suljettu_lumikuorma": ("unseen4", "2026-04-26"),
    "ruokajakelu_lopetettu": ("unseen4", "2026-10-25"),
    "teraaseet_nuorilla": ("unseen4", "2026-10-25"),
    "maidonkeruu_loppui": ("unseen4", "2026-10-25"),
    "tuhkarokkoaltistus_koulussa": ("unseen4", "2026-10-25"),
    # Fifth held-out part (unseen5), written 2026-12-02 by someone who had not seen the
    # detector's results: the next final check.
    "uimahalli_suljettu_remontti": ("unseen5", "2025-11-30"),
    "kirjasto_omatoimiaika_hairiot": ("unseen5", "2025-11-30"),
    "kuntouttava_tyotoiminta_loppui": ("unseen5", "2025-11-30"),
    "kylakoulun_lakkautuspaatos": ("unseen5", "2025-11-30"),
    "tehdaspalo_tyopaikat": ("unseen5", "2026-04-26"),
    "tukkirekat_kylaraitilla": ("unseen5", "2026-04-26"),
    "pankkikonttori_suljettu": ("unseen5", "2026-04-26"),
    "uusi_tehdas_tulijaperheet": ("unseen5", "2026-04-26"),
    "ratatyot_junat_korvattu": ("unseen5", "2026-10-25"),
    "pelitilihuijaukset_lapsilla": ("unseen5", "2026-10-25"),
    "vammaisten_paivatoiminta_siirretty": ("unseen5", "2026-10-25"),
    "iltapaivakerho_lakkautettu": ("unseen5", "2026-10-25"),
}

# Residents in thousands (Statistics Finland, rounded); the weight is population ** 0.75.
POPULATION = {
    "077": 4.6, "172": 4.2, "179": 147.7, "182": 19.5, "216": 1.3, "226": 3.9,
    "249": 9.3, "256": 1.6, "265": 1.0, "275": 2.6, "312": 1.3, "410": 19.2,
    "435": 0.7, "495": 1.6, "500": 10.2, "592": 3.8, "601": 3.8, "729": 9.1,
    "850": 2.4, "892": 3.7, "931": 6.1, "992": 18.6,
}  # fmt: skip

# July is holiday season: schools and many services are closed.
MONTH_WEIGHT = {6: 0.8, 7: 0.4, 8: 0.8, 12: 0.85}

OPENINGS = [
    "Havainto tältä viikolta.",
    "Kirjaan tämän, koska asia toistuu.",
    "Tuttu asia, mutta kirjaan silti.",
    "Asia nousi esiin tiimipalaverissa.",
    "Tästä on puhuttu työyhteisössä.",
    "Huomasin saman taas.",
    "Lyhyt huomio arjesta.",
    "Kollegat ovat nähneet samaa.",
]

# topic: (target group, roles, observation sentences, follow-up sentences)
Topic = tuple[str, list[str], list[str], list[str]]

BASE_TOPICS: dict[str, Topic] = {
    "koulupoissaolot": (
        "nuoret",
        ["opettaja", "oppilashuolto"],
        [
            "Muutamalla yläkoululaisella on kertynyt paljon poissaoloja tämän lukukauden aikana.",
            "Maanantaisin luokasta puuttuu usein kolme tai neljä oppilasta ilman ilmoitusta.",
            "Poissaolot painottuvat aamun ensimmäisiin tunteihin, iltapäivällä paikalla ollaan.",
            "Huoltajat ilmoittavat poissaoloja sairautena, mutta syy vaikuttaa olevan muualla.",
        ],
        [
            "Olemme sopineet huoltajien kanssa yhteisistä palavereista.",
            "Asiasta on keskusteltu oppilashuoltoryhmässä.",
            "Koulupudokkuuden riski huolestuttaa.",
        ],
    ),
    "vapetus": (
        "nuoret",
        ["opettaja", "nuorisotyo"],
        [
            "[opettaja] Koulun vessoissa haisee välitunneilla hedelmäinen vapen tuoksu.",
            "Nuoret kertovat, että sähkötupakkaa saa helposti vanhemmilta kavereilta.",
            "Vapettamista näkyy jo seitsemäsluokkalaisilla koulun takapihalla.",
            "[nuorisotyo] Nuorisotilan pihalla vapetetaan avoimesti, eikä sitä pidetä minään.",
        ],
        [
            "Valvojat eivät ehdi joka paikkaan.",
            "Vanhemmat eivät aina tiedä, miltä laitteet näyttävät.",
            "Terveystiedon tunnilla aiheesta keskusteltiin, mutta vaikutus jäi vähäiseksi.",
        ],
    ),
    "kiusaaminen": (
        "lapset",
        ["opettaja", "oppilashuolto"],
        [
            "Välitunnilla muutama oppilas jätetään toistuvasti leikkien ulkopuolelle.",
            "Alakoulun käytävällä on ollut tönimistä ja nimittelyä.",
            "Kiusaamisesta on tullut huoltajilta useampi yhteydenotto saman kuukauden aikana.",
            "Oppilaat kertovat kyselyssä kokeneensa kiusaamista pukuhuoneessa.",
        ],
        [
            "KiVa-tiimi on ottanut tilanteet käsittelyyn.",
            "Valvontaa lisättiin välitunneille.",
            "Tilanteita on selvitetty yhdessä huoltajien kanssa.",
        ],
    ),
    "perheiden_raha": (
        "perheet",
        ["sosiaalityo", "jarjesto", "seurakunta"],
        [
            "Lapsiperheet kertovat, että rahat loppuvat ennen kuun vaihdetta.",
            "Avustushakemuksissa perheet pyytävät apua vuokraan ja sähkölaskuun.",
            "Yksinhuoltajat joutuvat valitsemaan laskujen ja ruokaostosten välillä.",
            "Perheillä on vaikeuksia maksaa lasten silmälaseja ja lääkkeitä.",
        ],
        [
            "Toimeentulotuen käsittely kestää, ja odotusaika on perheille vaikea.",
            "Moni ohjataan talous- ja velkaneuvontaan.",
            "Huoli rahasta näkyy myös vanhempien jaksamisessa.",
        ],
    ),
    "vanhempien_uupumus": (
        "perheet",
        ["terveydenhoitaja", "varhaiskasvatus", "jarjesto"],
        [
            "Pienten lasten vanhemmat kertovat olevansa aivan lopussa.",
            "[terveydenhoitaja] Useampi äiti on itkenyt vastaanotolla väsymystä.",
            "Vanhemmat kertovat, ettei heillä ole ketään, joka ottaisi lapset hetkeksi.",
            "Vuorotyötä tekevät vanhemmat eivät saa nukuttua kunnolla viikkoihin.",
        ],
        [
            "Perhetyön apua on tarjottu, mutta jonot ovat pitkiä.",
            "Isovanhemmat asuvat usein kaukana.",
            "Uupumus näkyy myös lasten arjessa.",
        ],
    ),
    "harrastusmaksut": (
        "lapset",
        ["nuorisotyo", "jarjesto", "opettaja"],
        [
            "Urheiluseurojen kausimaksut ovat nousseet, ja osa lapsista on lopettanut.",
            "Perheet kertovat, ettei kalliisiin varusteisiin ole varaa.",
            "Joukkueesta jäi pois kolme pelaajaa maksujen takia.",
            "Kilpailumatkat ja leirit tuovat kausimaksun päälle paljon lisäkuluja.",
        ],
        [
            "Harrastamisen Suomen mallin kerhot ovat suosittuja, koska ne ovat maksuttomia.",
            "Seuralla on tukirahasto, mutta siitä ei tiedetä.",
            "Lapset, joiden harrastus loppuu, jäävät helposti yksin.",
        ],
    ),
    "bussiyhteydet": (
        "kaikki",
        ["jarjesto", "sosiaalityo", "nuorisotyo"],
        [
            "Keskustaan pääsee bussilla vain aamulla ja iltapäivällä.",
            "Iltaisin ja viikonloppuisin kylältä ei kulje yhtään vuoroa.",
            "Asiointiliikenne kulkee vain kerran viikossa.",
            "Ilman autoa asuvat eivät pääse terveyskeskukseen ilman taksia.",
        ],
        [
            "Taksi on monelle liian kallis vaihtoehto.",
            "Kyydit järjestetään naapuriavulla, jos järjestetään.",
            "Asiasta on annettu palautetta kunnalle.",
        ],
    ),
    "kouluruoka": (
        "lapset",
        ["opettaja", "terveydenhoitaja"],
        [
            "Moni oppilas jättää kouluruoan syömättä, jos tarjolla on kasvisruokaa.",
            "[opettaja] Ruokalassa lautaselle otetaan vain leipää ja maitoa.",
            "Oppilaat kertovat olevansa iltapäivällä nälkäisiä, koska lounas jäi väliin.",
            "Ruokalan jonot ovat niin pitkiä, että syömiseen jää vain muutama minuutti.",
        ],
        [
            "Keittiön kanssa on mietitty, miten ruoka maistuisi paremmin.",
            "Nälkä näkyy iltapäivän tunneilla keskittymisen puutteena.",
            "Asiaa on käsitelty oppilaskunnassa.",
        ],
    ),
    "neuvolajonot": (
        "perheet",
        ["terveydenhoitaja", "jarjesto"],
        [
            "Neuvolan määräaikaistarkastuksiin on useamman viikon jono.",
            "Perheet kertovat, etteivät saa neuvolaan puhelinyhteyttä.",
            "Neuvola-aikoja on jouduttu siirtämään henkilöstöpulan takia.",
            "Ensimmäisen lapsen vanhemmat toivoisivat neuvolaan useammin aikaa.",
        ],
        [
            "Vanhemmat hakevat tietoa netistä, mikä lisää epävarmuutta.",
            "Huoli lapsen kehityksestä jää odottamaan.",
            "Perhekeskuksen avoin vastaanotto on ruuhkainen.",
        ],
    ),
    "kaatumiset": (
        "ikaantyneet",
        ["jarjesto", "seurakunta", "sosiaalityo"],
        [
            "Useampi ikäihminen on kaatunut kotonaan matolle tai kynnykseen.",
            "Ikäihmiset eivät uskalla lähteä ulos, koska pelkäävät kaatuvansa.",
            "Kaatumisen jälkeen moni pelkää liikkua ja jää kotiin.",
            "Ikäihmiset kertovat huimauksesta, joka on johtanut kaatumisiin.",
        ],
        [
            "Kodin turvallisuuskartoitusta on tarjottu.",
            "Tasapainoryhmään on jonoa.",
            "Turvarannekkeen hankintaa on suositeltu omaisille.",
        ],
    ),
    "omaishoitajat": (
        "ikaantyneet",
        ["jarjesto", "seurakunta", "sosiaalityo"],
        [
            "Omaishoitajat kertovat, etteivät saa vapaapäiviä pidettyä.",
            "Iäkäs puoliso hoitaa muistisairasta yksin ilman juuri mitään apua.",
            "Omaishoitajien vertaisryhmässä moni kertoi nukkuvansa huonosti.",
            "Omaishoitaja pelkää, mitä tapahtuu, jos hän itse sairastuu.",
        ],
        [
            "Intervallipaikkoja on liian vähän.",
            "Jaksamisen tueksi on tarjottu keskusteluapua.",
            "Omaishoidon tukeen toivotaan joustavampia järjestelyjä.",
        ],
    ),
    "nuorten_ahdistus": (
        "nuoret",
        ["oppilashuolto", "terveydenhoitaja"],
        [
            "[oppilashuolto] Kuraattorille tulee viikoittain nuoria, jotka kertovat ahdistuksesta.",
            "Nuoret kertovat paniikkioireista kokeiden alla.",
            "[terveydenhoitaja] Terveydenhoitajan vastaanotolla moni nuori kertoo alakulosta.",
            "Yhdeksäsluokkalaiset stressaavat yhteishakua ja jatko-opintoja.",
        ],
        [
            "Nuorten mielenterveyspalveluihin on pitkä jono.",
            "Koulupsykologin aikoja ei riitä kaikille.",
            "Ryhmämuotoista tukea suunnitellaan.",
        ],
    ),
    "lasten_liikunta": (
        "lapset",
        ["opettaja"],
        [
            "Lapset liikkuvat välitunneilla vähemmän kuin ennen, moni seisoo paikallaan.",
            "Koulumatkat kuljetaan autolla, vaikka matkaa on vähän.",
            "Liikuntatunnilla osa lapsista väsyy nopeasti.",
            "Välitunnilla osa lapsista odottaa, että aikuinen keksii leikit.",
        ],
        [
            "Välituntiliikuntaa on yritetty lisätä oppilasagenttien avulla.",
            "Huoltajia on muistutettu liikunnan merkityksestä.",
            "Perusliikuntataidoissa näkyy puutteita.",
        ],
    ),
    "paivakodin_henkilosto": (
        "lapset",
        ["varhaiskasvatus"],
        [
            "Päiväkodissa on ollut sijaispulaa, ja ryhmiä on yhdistetty.",
            "Varhaiskasvatuksen opettajan paikkaan ei ole saatu hakijoita.",
            "Sairauspoissaolojen takia henkilökuntaa on ollut liian vähän.",
            "Ryhmissä on vaihtunut aikuisia niin usein, etteivät lapset tunne heitä.",
        ],
        [
            "Lapset ovat levottomia, kun tutut aikuiset vaihtuvat.",
            "Vanhemmat ovat kysyneet tilanteesta huolissaan.",
            "Pedagogiseen toimintaan ei jää aikaa.",
        ],
    ),
    "tuen_tarve": (
        "lapset",
        ["opettaja", "oppilashuolto"],
        [
            "Luokassa on useampi oppilas, joka tarvitsisi jatkuvaa aikuisen tukea.",
            "Koulunkäynninohjaajia on liian vähän tuen tarpeisiin nähden.",
            "Erityisopettajan tunteja ei riitä kaikille, jotka niitä tarvitsisivat.",
            "Tehostetun tuen oppilaita on enemmän kuin aiempina vuosina.",
        ],
        [
            "Opettajat kokevat, etteivät ehdi kaikkien luo.",
            "Tukea on jouduttu priorisoimaan.",
            "Asia on viety rehtorin kautta sivistystoimeen.",
        ],
    ),
    "alkoholi_viikonloput": (
        "nuoret",
        ["nuorisotyo", "seurakunta"],
        [
            "Viikonloppuisin nuoria kokoontuu juomaan rannan laavulle.",
            "[nuorisotyo] Jalkautuvassa työssä tavattiin perjantaina humalaisia alaikäisiä.",
            "Nuoret kertovat, että alkoholia saa helposti täysi-ikäisiltä kavereilta.",
            "Perjantai-iltana keskustassa näkyi humalaisia yläkouluikäisiä.",
        ],
        [
            "Yhteistyötä poliisin kanssa on tiivistetty.",
            "Vanhempainilloissa aiheesta on puhuttu.",
            "Nuorisotilan aukiolot viikonloppuisin auttaisivat.",
        ],
    ),
    "somekiusaaminen": (
        "nuoret",
        ["opettaja", "oppilashuolto"],
        [
            "[opettaja] Luokan WhatsApp-ryhmässä on haukuttu yhtä oppilasta.",
            "Somessa on jaettu oppilaista kuvia ilman lupaa.",
            "Nuoret kertovat saavansa ilkeitä viestejä nimettömiltä tileiltä.",
            "Riidat alkavat illalla somessa ja jatkuvat aamulla koulussa.",
        ],
        [
            "Huoltajat on kutsuttu keskustelemaan.",
            "Mediakasvatusta on lisätty oppitunneille.",
            "Tilanteita on vaikea selvittää, koska ne tapahtuvat koulun ulkopuolella.",
        ],
    ),
    "kotoutuminen_kieli": (
        "perheet",
        ["varhaiskasvatus", "opettaja", "jarjesto"],
        [
            "Maahan muuttaneiden perheiden kanssa kommunikointi on vaikeaa ilman yhteistä kieltä.",
            "[opettaja] Suomen kielen tukea on liian vähän, ja oppilaat jäävät jälkeen.",
            "[opettaja] Vanhempainillan tiedotteet eivät tavoita perheitä, jotka eivät lue suomea.",
            "Perheet eivät tunne palveluja eivätkä tiedä, mistä hakea apua.",
        ],
        [
            "Kuvia ja käännössovellusta käytetään apuna.",
            "Järjestön kielikahvila on ollut avuksi.",
            "Kotoutumisen tukeen toivotaan lisää resursseja.",
        ],
    ),
    "nuorten_asuminen": (
        "tyoikaiset",
        ["sosiaalityo"],
        [
            "Nuoria aikuisia on asiakkaina, joilla ei ole vakituista asuntoa.",
            "Vuokrarästien takia on tullut useampi häätöuhka.",
            "Itsenäistyvät nuoret eivät saa vuokra-asuntoa ilman takaajaa.",
            "Osa nuorista asuu kavereiden sohvilla viikosta toiseen.",
        ],
        [
            "Tuettuja asuntoja on liian vähän.",
            "Asumisneuvojan palvelua on lisätty.",
            "Asumisen epävarmuus vaikeuttaa opiskelua ja työnhakua.",
        ],
    ),
    "tyottomyys": (
        "tyoikaiset",
        ["sosiaalityo", "jarjesto"],
        [
            "Pitkään työttömänä olleet kertovat menettäneensä toivon työllistymisestä.",
            "Lomautukset ovat lisänneet yhteydenottoja.",
            "Työttömien päiväkeskuksessa kävijöitä on aiempaa enemmän.",
            "Työkokeilupaikkoja on tarjolla liian vähän.",
        ],
        [
            "Arjen rytmi on monella kadonnut.",
            "Taloudellinen ahdinko kasvaa.",
            "Kuntouttavaan työtoimintaan on jonoa.",
        ],
    ),
    "aikuisten_mielenterveys": (
        "tyoikaiset",
        ["sosiaalityo", "jarjesto"],
        [
            "Aikuisten mielenterveyspalveluihin pääsee vasta kuukausien päästä.",
            "Asiakkaat kertovat, ettei terapiaan ole varaa.",
            "Kriisiapuun on tullut ennätysmäärä yhteydenottoja.",
            "Masennuksesta kärsivät jäävät helposti kokonaan palvelujen ulkopuolelle.",
        ],
        [
            "Järjestöjen vertaistuki paikkaa aukkoja.",
            "Lähetteiden käsittely kestää.",
            "Odotusaikana tilanne monella pahenee.",
        ],
    ),
    "kuljetuspalvelu": (
        "vammaiset",
        ["jarjesto", "sosiaalityo"],
        [
            "Vammaispalvelun kuljetuksiin tulee pitkiä odotusaikoja.",
            "Kuljetuspalvelun matkat eivät riitä harrastuksiin.",
            "Kyyti on tullut myöhässä ja asiakas on myöhästynyt työstä.",
            "Pyörätuolin kanssa liikkuvat eivät pääse kaikkiin takseihin.",
        ],
        [
            "Asiakkaat jättävät menoja väliin.",
            "Palautetta on annettu palveluntuottajalle.",
            "Osallisuus arjessa kärsii.",
        ],
    ),
    "vammaisten_harrastukset": (
        "vammaiset",
        ["jarjesto", "nuorisotyo"],
        [
            "Vammaisille nuorille ei ole juuri harrastuksia omalla paikkakunnalla.",
            "Soveltavan liikunnan ryhmä on täynnä ja jonoa on.",
            "Avustajan puuttuminen estää osallistumisen kerhoihin.",
            "Liikuntapaikkojen esteettömyydessä on puutteita.",
        ],
        [
            "Perheet kulkevat pitkiä matkoja harrastusten perässä.",
            "Yhteistyötä seurojen kanssa toivotaan.",
            "Vanhemmat kokevat jäävänsä yksin.",
        ],
    ),
    "ruoka_apu": (
        "kaikki",
        ["seurakunta", "jarjesto"],
        [
            "Ruoka-avun jonossa on ollut aiempaa enemmän lapsiperheitä.",
            "Ruokakassit loppuvat kesken jakopäivän.",
            "Ruoka-apuun tulee myös työssä käyviä.",
            "Yhteisöateriassa kävijöitä on ollut ennätysmäärä.",
        ],
        [
            "Lahjoitukset kaupoilta ovat vähentyneet.",
            "Vapaaehtoiset jaksavat juuri ja juuri.",
            "Moni häpeää tulla jonoon.",
        ],
    ),
    "muistisairaudet": (
        "ikaantyneet",
        ["jarjesto", "sosiaalityo", "seurakunta"],
        [
            "Yksin asuvalla ikäihmisellä on merkkejä muistin heikkenemisestä.",
            "Omaiset ovat huolissaan, kun lääkkeet jäävät ottamatta.",
            "Muistisairaat ikäihmiset eksyvät kauppareissulla.",
            "Muistitutkimuksiin pääsyä joudutaan odottamaan.",
        ],
        [
            "Kotihoidon käyntejä on lisätty.",
            "Omaisille on annettu ohjausta.",
            "Asumisen turvallisuus huolettaa.",
        ],
    ),
    "ylakouluun_siirtyma": (
        "nuoret",
        ["oppilashuolto", "opettaja"],
        [
            "Seitsemäsluokkalaiset kertovat, etteivät ole löytäneet kavereita uudesta koulusta.",
            "Isossa koulussa osa uusista oppilaista eksyy ja myöhästelee.",
            "Yläkouluun siirtyneet jännittävät ruokalaa ja käytäviä.",
            "Kyläkoulusta tulleet jäävät luokassa omaksi porukakseen.",
        ],
        [
            "Ryhmäytystä on lisätty luokkien toimintaan.",
            "Tukioppilaat ovat tärkeässä roolissa.",
            "Kuraattori on tavannut uusia oppilaita pienryhmissä.",
        ],
    ),
    "nuorten_tyonhaku": (
        "nuoret",
        ["nuorisotyo"],
        [
            "Nuoret kertovat, ettei töitä ole löytynyt, vaikka hakemuksia on lähtenyt kymmeniä.",
            "Ensimmäistä työpaikkaa etsivät nuoret eivät saa vastauksia hakemuksiinsa.",
            "Nuoret toivovat apua ansioluettelon tekemiseen ja työhaastatteluun.",
            "Pienellä paikkakunnalla työpaikat menevät tuttujen kautta.",
        ],
        [
            "Ilman työtä päivät venyvät pitkiksi.",
            "Työnhakutaitoja on harjoiteltu nuorisotilalla.",
            "Ensimmäinen työpaikka olisi tärkeä kosketus työelämään.",
        ],
    ),
    "opintojen_keskeytys": (
        "nuoret",
        ["oppilashuolto", "nuorisotyo"],
        [
            "Toisen asteen ensimmäisen vuoden opiskelijoista useampi on keskeyttänyt.",
            "Ammattikoulun aloittaneet eivät ole löytäneet motivaatiota.",
            "[nuorisotyo] Etsivä nuorisotyö on tavannut nuoria, jotka eivät aloittaneet opintoja.",
            "Väärälle alalle hakeutuminen on yleinen keskeyttämisen syy.",
        ],
        [
            "Ohjausta toiselle asteelle siirtymiseen tarvittaisiin enemmän.",
            "Nivelvaiheen tukea on kehitetty.",
            "Nuoret toivovat mahdollisuutta vaihtaa alaa joustavasti.",
        ],
    ),
    "lukutaito": (
        "lapset",
        ["opettaja"],
        [
            "Neljäsluokkalaisten lukutaidossa on suuria eroja.",
            "Oppilaat eivät jaksa lukea pitkiä tekstejä.",
            "Kotona luetaan vähemmän kuin ennen, ja se näkyy sanastossa.",
            "Tehtävänantojen ymmärtäminen tuottaa vaikeuksia.",
        ],
        [
            "Lukuhetkiä on lisätty koulupäivään.",
            "Kirjaston kanssa on tehty yhteistyötä.",
            "Lukemisen tukeen tarvittaisiin lisää aikaa.",
        ],
    ),
    "hammashoito": (
        "lapset",
        ["terveydenhoitaja"],
        [
            "Lasten hampaissa on reikiä enemmän kuin aiemmin.",
            "Monella lapsella ei ole tapana pestä hampaita iltaisin.",
            "Makeisia ja mehuja kulutetaan päivittäin.",
            "Hammashoitolaan on pitkät jonot.",
        ],
        [
            "Perheitä on ohjattu suunhoidon asioissa.",
            "Ravitsemuksesta on keskusteltu vanhempien kanssa.",
            "Suunhoidon tärkeydestä muistutetaan vastaanotolla.",
        ],
    ),
    "vanhempien_puhelin": (
        "perheet",
        ["varhaiskasvatus", "terveydenhoitaja"],
        [
            "[varhaiskasvatus] Vanhemmat katsovat puhelinta, kun hakevat lasta päiväkodista.",
            "[terveydenhoitaja] Neuvolakäynnillä vanhempi selasi puhelinta koko käynnin ajan.",
            "Lapset kertovat, että vanhemmat ovat aina puhelimella.",
            "Leikkipuistossa vanhemmat istuvat puhelimen kanssa.",
        ],
        [
            "Lapset kaipaavat aikuisen huomiota.",
            "Vanhempia on muistutettu läsnäolon merkityksestä.",
            "Aiheesta puhuttiin vanhempainillassa.",
        ],
    ),
    "eroperheet": (
        "perheet",
        ["sosiaalityo", "oppilashuolto"],
        [
            "Eroperheiden lapset kantavat huolta vanhempien riidoista.",
            "Huoltajuuskiistojen keskellä lapsi on joutunut valitsemaan puolensa.",
            "Vuoroasuminen kahden kunnan välillä väsyttää lasta.",
            "Eron jälkeen lapsen koulunkäynti on heikentynyt.",
        ],
        [
            "Perheasioiden sovittelua on tarjottu.",
            "Lapsen tukena on koulukuraattori.",
            "Vanhemmat tarvitsisivat tukea yhteistyöhön.",
        ],
    ),
    "tyorauha": (
        "lapset",
        ["opettaja"],
        [
            "Luokassa on levotonta, ja opetuksesta menee paljon aikaa järjestyksen pitämiseen.",
            "Muutama oppilas häiritsee tunteja jatkuvasti.",
            "Oppitunneilla huudellaan ja liikutaan luvatta.",
            "Sijaisten tunneilla työrauha on huono.",
        ],
        [
            "Luokkaan on tuotu lisää aikuisia.",
            "Yhteisistä säännöistä on sovittu uudelleen.",
            "Opettaja kokee kuormitusta.",
        ],
    ),
    "koulumatkat_liikenne": (
        "lapset",
        ["opettaja", "oppilashuolto"],
        [
            "Koulun edessä on aamuisin vaarallisia tilanteita autojen kanssa.",
            "Pyöräilevät oppilaat ajavat ilman kypärää.",
            "Suojatie koulun lähellä on pimeällä huonosti valaistu.",
            "Lapset oikaisevat vilkkaan tien yli suojatien ohi.",
        ],
        [
            "Huoltajia on muistutettu liikenneturvallisuudesta.",
            "Asiasta on tehty aloite kunnalle.",
            "Heijastimia on jaettu.",
        ],
    ),
    "ikaantyneiden_ravitsemus": (
        "ikaantyneet",
        ["jarjesto", "sosiaalityo"],
        [
            "Yksin asuvat ikäihmiset syövät yksipuolisesti.",
            "Painon laskua on huomattu usealla ikäihmisellä.",
            "Kaupassa käynti on vaikeaa, ja ruoka jää hankkimatta.",
            "Ateriapalvelun hinta on monelle liian korkea.",
        ],
        [
            "Ravitsemusohjausta on tarjottu.",
            "Kauppakassipalvelun tarve on kasvanut.",
            "Yhteinen ruokailu houkuttelisi syömään.",
        ],
    ),
    "vapaaehtoiset": (
        "kaikki",
        ["jarjesto", "seurakunta"],
        [
            "Järjestön vapaaehtoisten määrä on vähentynyt.",
            "Uusia vapaaehtoisia ei löydy, ja vanhat ikääntyvät.",
            "Toimintaa on jouduttu karsimaan vapaaehtoisten puutteen takia.",
            "Yhdistyksen hallitukseen ei löydy uusia jäseniä.",
        ],
        [
            "Nuoria yritetään houkutella mukaan.",
            "Vapaaehtoistyön koordinointiin tarvittaisiin tukea.",
            "Kerhot ovat vaarassa loppua.",
        ],
    ),
    "aamupala": (
        "lapset",
        ["opettaja", "terveydenhoitaja"],
        [
            "Moni oppilas tulee kouluun syömättä aamupalaa.",
            "Aamutunneilla oppilaat valittavat nälkää.",
            "Oppilaat kertovat, ettei kotona ole aamulla mitään syötävää.",
            "Aamupalan puuttuminen näkyy väsymyksenä ja ärtyisyytenä.",
        ],
        [
            "Koululla on harkittu aamupalatarjoilua.",
            "Huoltajia on muistutettu aamupalan merkityksestä.",
            "Välipalaa on annettu koulun varastosta.",
        ],
    ),
    "nuorten_yksinaisyys": (
        "nuoret",
        ["nuorisotyo", "oppilashuolto", "seurakunta"],
        [
            "[nuorisotyo] Nuorisotilalla käy nuoria, joilla ei ole kavereita koulussa.",
            "Nuoret kertovat viettävänsä viikonloput yksin.",
            "[seurakunta] Riparilla moni nuori kertoi, ettei hänellä ole ketään, kenelle puhua.",
            "Osa nuorista vetäytyy ryhmätilanteista kokonaan.",
        ],
        [
            "Pienryhmätoimintaa on aloitettu.",
            "Yksinäisyys näkyy myös koulussa.",
            "Nuorisotyöntekijät ovat tarjonneet juttutuokioita.",
        ],
    ),
    "terveyskeskus_ajanvaraus": (
        "kaikki",
        ["jarjesto", "sosiaalityo"],
        [
            "Terveyskeskukseen ei saa aikaa puhelimitse.",
            "Takaisinsoittoa joutuu odottamaan useita päiviä.",
            "Lääkäriaikoja on tarjolla vasta viikkojen päähän.",
            "Asiakkaat eivät osaa käyttää sähköistä ajanvarausta.",
        ],
        [
            "Moni jättää hoidon hakematta.",
            "Päivystykseen hakeudutaan, koska muuta vaihtoehtoa ei ole.",
            "Järjestön työntekijät ovat auttaneet ajanvarauksessa.",
        ],
    ),
    "pelaaminen_yot": (
        "nuoret",
        ["opettaja", "terveydenhoitaja"],
        [
            "Pojat kertovat pelaavansa konsolilla aamuyöhön asti.",
            "Oppilas nukahti tunnilla, koska oli pelannut koko yön.",
            "Pelaaminen vie nuorilta viikonloput.",
            "Vanhemmat kokevat, etteivät saa rajoitettua pelaamista.",
        ],
        [
            "Peliajoista on keskusteltu huoltajien kanssa.",
            "Pelaaminen vaikuttaa koulumenestykseen.",
            "Vanhempainillassa käsiteltiin digiturvallisuutta.",
        ],
    ),
    "lasten_pelot": (
        "lapset",
        ["varhaiskasvatus", "opettaja"],
        [
            "Lapset kysyvät sodasta ja pelkäävät uutisissa näkemäänsä.",
            "[varhaiskasvatus] Päiväkodissa lapset leikkivät sotaleikkejä, joissa näkyy pelko.",
            "Lapset ovat huolissaan ilmastonmuutoksesta.",
            "[opettaja] Alakoululaiset kertovat painajaisista.",
        ],
        [
            "Aikuiset ovat keskustelleet lasten kanssa rauhallisesti.",
            "Vanhempia on ohjattu puhumaan lasten kanssa.",
            "Lasten kysymyksiin on vastattu ikätason mukaisesti.",
        ],
    ),
}

CONTROLS: dict[str, Topic] = {
    "ikaihmisten_yksinaisyys": (
        "ikaantyneet",
        ["jarjesto", "seurakunta", "sosiaalityo"],
        [
            "Yksin asuvat ikäihmiset kertovat, ettei kukaan käy heidän luonaan viikkoihin.",
            "Kerhoon tulevat aina samat, mutta syrjäkylien yksinäiset eivät pääse mukaan.",
            "[jarjesto] Puhelinystävätoimintaan on jonossa yksinäisiä vanhuksia.",
            "Leskeksi jääneet ikäihmiset sulkeutuvat kotiinsa.",
            "Ikäihminen kertoi puhuvansa päivän aikana vain kotihoidon kanssa.",
        ],
        [
            "Yksinäisyys näkyy alakuloisuutena ja ruokahaluttomuutena.",
            "Ystäväpalvelun vapaaehtoisia ei riitä kaikille.",
            "Kyläyhdistys on miettinyt kuljetusta kerhoon.",
        ],
    ),
    "nuorten_iltaruutuaika": (
        "nuoret",
        ["opettaja", "terveydenhoitaja", "nuorisotyo"],
        [
            "Nuoret kertovat selaavansa puhelinta sängyssä puoleenyöhön asti.",
            "[opettaja] Aamutunneilla moni oppilas on väsynyt illan ruutuajan takia.",
            "[terveydenhoitaja] Tarkastuksissa nuoret kertovat nukkuvansa liian vähän "
            "puhelimen takia.",
            "Nuoret sanovat, että lyhytvideoiden katselu iltaisin venyy huomaamatta.",
            "Huoltajat kertovat, ettei puhelinta saa nuorelta pois iltaisin.",
        ],
        [
            "Unihygieniasta on puhuttu terveystiedon tunneilla.",
            "Vanhempainillassa sovittiin yhteisistä puhelinajoista.",
            "Väsymys näkyy keskittymisessä.",
        ],
    ),
    "koulukyytien_odotus": (
        "lapset",
        ["opettaja", "oppilashuolto"],
        [
            "Koulukyydin odottaminen vie oppilailta iltapäivisin yli tunnin.",
            "Aamukyyti tuo oppilaat kouluun puoli tuntia ennen koulun alkua.",
            "Oppilaat odottavat koulukuljetusta pimeällä pysäkillä.",
            "Kyytien aikataulut eivät sovi yhteen lukujärjestyksen kanssa.",
            "Pienimmät oppilaat väsyvät pitkiin kuljetusodotuksiin.",
        ],
        [
            "Odotusajalle on järjestetty valvontaa koululla.",
            "Huoltajat ovat antaneet asiasta palautetta.",
            "Kuljetusten aikatauluja on pyydetty tarkistamaan.",
        ],
    ),
}

GROWING: dict[str, Topic] = {
    "tekoaly_laksyissa": (
        "nuoret",
        ["opettaja", "oppilashuolto"],
        [
            "Oppilaat palauttavat esseitä, jotka on selvästi kirjoitettu tekoälyllä.",
            "Läksyt tehdään chatbotilla, eikä asia jää mieleen.",
            "Kokeessa näkyy, ettei kotitehtävien sisältöä ole opittu itse.",
            "Nuoret kysyvät tekoälyltä neuvoa myös henkilökohtaisiin asioihin.",
            "Tekoälyn käyttö kotitehtävissä on arkipäivää jo alakoulun lopulla.",
        ],
        [
            "Opettajat miettivät arviointitapoja uudelleen.",
            "Tekoälyn käytöstä on sovittu yhteiset pelisäännöt.",
            "Huoltajien kanssa on keskusteltu tekoälyn käytöstä.",
        ],
    ),
    "ikaantyneiden_digiasiointi": (
        "ikaantyneet",
        ["jarjesto", "seurakunta", "sosiaalityo"],
        [
            "Ikäihmiset eivät osaa käyttää pankkitunnuksia palvelujen asiointiin.",
            "Digitukeen tulee yhä useampi ikäihminen, jonka asiointi on siirtynyt verkkoon.",
            "Reseptien uusiminen verkossa tuottaa ikäihmisille vaikeuksia.",
            "Ikäihmiset pyytävät apua älypuhelimen käyttöön.",
            "Paperilomakkeiden poistuminen vaikeuttaa ikäihmisten asiointia.",
        ],
        [
            "Digitukihenkilöitä tarvittaisiin enemmän.",
            "Moni on riippuvainen omaisten avusta.",
            "Kirjaston digiopastus on ollut suosittua.",
        ],
    ),
}


def _months() -> list[tuple[int, int]]:
    out, (y, m) = [], (START.year, START.month)
    while (y, m) <= (END.year, END.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _random_day(rng: random.Random, year: int, month: int) -> date:
    last = calendar.monthrange(year, month)[1]
    return date(year, month, rng.randint(1, last))


def _municipality(rng: random.Random) -> str:
    codes = sorted(POPULATION)
    return rng.choices(codes, weights=[POPULATION[c] ** 0.75 for c in codes])[0]


def _text(rng: random.Random, topic: Topic, used: set[str]) -> tuple[str, str | None]:
    """A fresh combination if one can be found in a few tries (repeats are rare but allowed),
    and the role its observation sentence implies, if it names one ("[role] sentence")."""
    _, _, observations, follow_ups = topic
    text, role = "", None
    for _ in range(20):
        match = re.fullmatch(r"(?:\[(\w+)\] )?(.+)", rng.choice(observations))
        assert match is not None
        role = match.group(1)
        parts = [match.group(2), rng.choice(follow_ups)]
        if rng.random() < 0.35:
            parts.insert(0, rng.choice(OPENINGS))
        text = " ".join(parts)
        if text not in used:
            break
    used.add(text)
    return text, role


def _item(rng: random.Random, label: str, topic: Topic, day: date, used: set[str]) -> dict:
    group, roles, _, _ = topic
    text, role = _text(rng, topic, used)
    return {
        "text": text,
        "municipality": _municipality(rng),
        "observed_on": day.isoformat(),
        "target_group": group,
        "role": role or rng.choice(roles),
        "label": label,
    }


def base_items(rng: random.Random) -> list[dict]:
    """Background topics: the total spread over months by days and seasonal weight."""
    months = _months()
    weights = [calendar.monthrange(y, m)[1] * MONTH_WEIGHT.get(m, 1.0) for y, m in months]
    used: set[str] = set()
    names = sorted(BASE_TOPICS)
    items = []
    for _ in range(BASE_ITEMS):
        year, month = rng.choices(months, weights=weights)[0]
        name = rng.choice(names)
        day = _random_day(rng, year, month)
        items.append(_item(rng, f"base:{name}", BASE_TOPICS[name], day, used))
    return items


def control_items(rng: random.Random) -> list[dict]:
    """Steady themes: the same count every month (±1), so a detector must never see growth."""
    used: set[str] = set()
    items = []
    for name in sorted(CONTROLS):
        for year, month in _months():
            for _ in range(CONTROL_PER_MONTH + rng.choice([-1, 0, 0, 1])):
                day = _random_day(rng, year, month)
                items.append(_item(rng, f"control:{name}", CONTROLS[name], day, used))
    return items


def growing_items(rng: random.Random) -> list[dict]:
    """Slowly growing themes: the monthly count rises linearly from 3 to 6 over the span."""
    used: set[str] = set()
    items = []
    months = _months()
    for name in sorted(GROWING):
        carry = 0.0
        for index, (year, month) in enumerate(months):
            rate = GROWING_FIRST + (GROWING_LAST - GROWING_FIRST) * index / (len(months) - 1)
            carry += rate
            count, carry = int(carry), carry - int(carry)
            for _ in range(count):
                day = _random_day(rng, year, month)
                items.append(_item(rng, f"growing:{name}", GROWING[name], day, used))
    return items


def _with_ids(items: list[dict], prefix: str, width: int) -> list[dict]:
    items.sort(key=lambda item: (item["observed_on"], item["municipality"], item["text"]))
    return [{"id": f"{prefix}-{n:0{width}d}", **item} for n, item in enumerate(items, start=1)]


def build() -> list[dict]:
    rng = random.Random(SEED)
    rows = (
        _with_ids(base_items(rng), "b", 5)
        + _with_ids(control_items(rng), "c", 4)
        + _with_ids(growing_items(rng), "g", 4)
    )
    rows.sort(key=lambda row: (row["observed_on"], row["id"]))
    return rows


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def build_plan(rows: list[dict]) -> dict:
    """plan.json from all labelled rows (controls, growing themes and planted themes)."""
    themes: dict[str, dict] = {}
    for row in sorted(rows, key=lambda row: (row["observed_on"], row["id"])):
        kind, name = row["label"].split(":", 1)
        if kind == "base":
            continue
        theme = themes.setdefault(row["label"], {"kind": kind})
        if kind == "emerging":
            theme["part"], theme["as_of"] = PLANTED[name]
        theme.setdefault("items", []).append(row["id"])
        theme.setdefault("by_municipality", {}).setdefault(row["municipality"], [])
        theme["by_municipality"][row["municipality"]].append(row["id"])
        theme.setdefault("dates", {})[row["id"]] = row["observed_on"]
    for theme in themes.values():
        theme["municipalities"] = sorted(theme["by_municipality"])
        theme["by_municipality"] = dict(sorted(theme["by_municipality"].items()))
    missing = {f"emerging:{name}" for name in PLANTED} - set(themes)
    assert not missing, missing
    eval_dates = {
        as_of: [
            (date.fromisoformat(as_of) - timedelta(days=days)).isoformat()
            for days in range(EVAL_DAYS_BEFORE, -1, -7)
        ]
        for as_of in AS_OF
    }
    return {
        "as_of": AS_OF,
        "eval_dates": eval_dates,
        "themes": dict(sorted(themes.items())),
        "municipalities": len(POPULATION),
    }


def main() -> None:
    rows = build()
    with open(HERE / "base.jsonl", "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} rows -> {HERE / 'base.jsonl'}")
    planted = [
        row
        for part in ("seen", "unseen", "unseen2", "unseen3", "unseen4", "unseen5")
        for row in _read(HERE / f"planted_{part}.jsonl")
    ]
    plan = build_plan(rows + planted)
    with open(HERE / "plan.json", "w", encoding="utf-8") as out:
        json.dump(plan, out, ensure_ascii=False, indent=1)
        out.write("\n")
    print(f"{len(plan['themes'])} labelled themes -> {HERE / 'plan.json'}")


if __name__ == "__main__":
    main()
