"""A population like Bénin's: 14 GUPS offices, their supervisors and social workers, and their children's cases.

Names are written as they are in Bénin and Cameroon, variants included (Houngbédji and Hounbedji,
Mohamed and Mouhamed), and drawn with a Zipf-like weight (the k-th name weighs 1/sqrt(k)): the
commonest last name is about 4 % of the children, the rarest a few in ten thousand, so that a
three-letter prefix finds a few percent of the cases, not half of them.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate

from generate import case_data as shipped_case_data

PASSWORD = "quiet lagoon at dusk"
SUPERVISOR_ROLE, WORKER_ROLE = "role-supervisor", "role-case-worker"  # group scope / self scope

# (commune, code, commune code in the bj location hierarchy, social workers)
OFFICES = [("Cotonou", "COT", "BJ-LI-01", 18), ("Porto-Novo", "PNO", "BJ-OU-08", 16), ("Parakou", "PAR", "BJ-BO-05", 16),
           ("Abomey", "ABO", "BJ-ZO-01", 15), ("Natitingou", "NAT", "BJ-AK-06", 14), ("Djougou", "DJO", "BJ-DO-03", 14),
           ("Lokossa", "LOK", "BJ-MO-06", 15), ("Ouidah", "OUI", "BJ-AQ-04", 15), ("Kandi", "KAN", "BJ-AL-03", 14),
           ("Bohicon", "BOH", "BJ-ZO-03", 15), ("Savalou", "SAV", "BJ-CO-05", 14), ("Pobè", "POB", "BJ-PL-04", 14),
           ("Aplahoué", "APL", "BJ-KO-01", 14), ("Malanville", "MAL", "BJ-AL-05", 14)]

# Commonest first. Spelling variants are kept apart on purpose: a search for one does not find the other.
LAST_NAMES = """Dossou Agossou Zinsou Houngbédji Ahouansou Adjovi Sossa Gbaguidi Kpadonou Koffi Yessoufou Bio Orou Sabi
Chabi Mama Issa Adamou Hounkpè Assogba Amoussou Akplogan Hounbedji Tossou Ahyi Kiki Sagbo Dansou Houessou Zannou
Akakpo Atchadé Avocè Hounsou Fanou Gandonou Godonou Hodonou Lokossou Padonou Quenum Sènou Sossou Toffa Zounon
Zossou Affo Akanni Alidou Amadou Assani Bachabi Bouraïma Djibril Garba Gado Idrissou Imorou Karimou Moussa Salifou
Sanni Seidou Soulé Tamou Worou Yarou Zakari N'Tcha Natta Tchando Yotto Mbarga Ngo Bassa Tchatchoua Njoya Fotso
Ngono Essomba Atangana Ebogo Mbida Manga Nkoulou Abega Ondoa Owona Nana Kamga Tchoupo Djoumessi Tagne Kenfack
Nguemo Simo Talla Wamba Fokou Nkwenti Tabi Ayuk Ndip Ashu Enow Tambe Nji Hamadou Oumarou Bouba Aboubakar Hayatou
Yaya Bello Mohaman Ngassa Ngando Ekambi Ekwalla Dikongué Doumbè Moukoko Mandengue Priso Ngoumou Mvondo Zang
Mebenga Bella Ateba Onana Dossa Houénou Adandé Adjanohoun Adjaho Agbo Agbodjan Agossa Ahanhanzo Ahossi Akindès
Alapini Alladayè Anagonou Azonhiho Badarou Bankolé Boco Capo-Chichi Codjia Dagbéto Dahoui Dégbé Djossou Dohou
Dossouvi Fagla Fassinou Gangbo Glèlè Gnonlonfoun Gounou Guézo Hessou Honvou Houngbo Houndété Kakpo Kêkê Kinhou
Kodjo Kouton Kpogbémè Loko Mêtongnon Noudéhou Noukpo Oké Vodounon Yèhouénou Aho Akpovi Kossou Lafia Kora Goroubi
Sariki Nouhoum Tokpa Bani Baba Gbèdji Hinvi Kounouho Ligan Houssou Azon Dovonou Kpossou Tchibozo""".replace("Ngo Bassa", "Ngo_Bassa").split()
LAST_NAMES = [name.replace("_", " ") for name in LAST_NAMES]

FIRST_NAMES = """Awa Marie Koffi Aïcha Mohamed Fatoumata Kossi Codjo Chantal Rachidatou Géraldine Sèna Mahougnon
Nafissatou Mouhamed Fatimata Jean Afi Akossiwa Ablavi Adjoa Afiavi Akouavi Ayaba Bernadette Blandine Brice Carine
Cécile Christelle Clarisse Comlan Dieudonné Edwige Elisabeth Espérance Estelle Eunice Fabrice Félicité Fifamè
Florentine Gildas Gisèle Grâce Hermann Honorine Hortense Ibrahim Innocent Irène Jacques Jean-Baptiste Joseph
Judith Justine Kadidjatou Kokou Komi Laetitia Léa Lucien Mariam Mariama Marcelline Mathias Maurice Mireille Moïse
Nadège Nadia Noël Olga Pascal Pascaline Patrice Prisca Rodrigue Romaric Rosine Roukayath Sabine Salamatou
Séraphin Sidoine Sylvie Sourou Tatiana Thérèse Ulrich Valentin Victoire Yves Zénabou Houéfa Ahouéfa Assiba
Sèdjro Sènan Mawulé Mawuena Elom Yao Amavi Kouami Vignon Akouélé Nouwagnon Fadilatou Habibatou Hadiza Hamida
Hawaou Kamarou Latifatou Moubarak Nourou Rafiatou Rissikatou Saliou Sikirou Souleymane Taofic Wassiou Yasmine
Boni Gnon Sika Abdou Abdoulaye Aminatou Adama Alim Boubakari Halimatou Djamila Ramatou Aïssatou Hadidja Djénabou
Bintou Kadija Marthe Odile Pauline Solange Yvonne Brigitte Clémentine Delphine Émilienne Françoise Germaine
Huguette Josiane Lydie Martine Nicole Rose Simone Véronique Ange Armand Blaise Cédric Christian Didier Emmanuel
Éric Franck Georges Hervé Jules Landry Martial Olivier Paul Roger Serge Thierry Vincent William Achille Albert
Alain Ambroise Arnaud Boris Calixte Désiré Ernest Félix Gaston Guy Hilaire Isidore Léon Marius Narcisse Parfait
Raoul Samuel Théodore Wilfried Xavier Ursule Dossi Gbènakpon""".split()

COMMON_PREFIX = LAST_NAMES[0][:3].lower()  # "dos": Dossou, Dossa, Dossouvi, Dossi
RARE_NAME = LAST_NAMES[-1]                  # the least common last name, searched in full
LANGUAGES = ["french", "fon", "yoruba", "bariba", "dendi", "adja", "goun", "mina", "fulfulde", "ditammari"]


def _weights(names: list[str]) -> list[float]:
    return list(accumulate(1 / (rank ** 0.5) for rank in range(1, len(names) + 1)))


_LAST_WEIGHTS, _FIRST_WEIGHTS = _weights(LAST_NAMES), _weights(FIRST_NAMES)


def last_name(rng: random.Random) -> str:
    return rng.choices(LAST_NAMES, cum_weights=_LAST_WEIGHTS)[0]


def first_name(rng: random.Random) -> str:
    return rng.choices(FIRST_NAMES, cum_weights=_FIRST_WEIGHTS)[0]


@dataclass(frozen=True)
class Office:
    """A GUPS office: its agency, its user group, its commune, its supervisor and its social workers."""

    name: str
    code: str
    commune: str
    supervisor: str
    workers: tuple[str, ...]

    @property
    def agency(self) -> str:
        return f"gups-{self.code.lower()}"

    @property
    def group(self) -> str:
        return f"equipe-{self.code.lower()}"


def offices() -> list[Office]:
    """The 14 offices; user names say the office: sup.cot, ts.cot.01 ... (ts: travailleur social)."""
    return [Office(name, code, commune, f"sup.{code.lower()}",
                   tuple(f"ts.{code.lower()}.{number:02d}" for number in range(1, workers + 1)))
            for name, code, commune, workers in OFFICES]


def workers() -> list[tuple[str, Office]]:
    """Every social worker with their office, interleaved across offices (the first ten are in ten offices)."""
    staff = offices()
    longest = max(len(office.workers) for office in staff)
    return [(office.workers[i], office) for i in range(longest) for office in staff if i < len(office.workers)]


def agencies() -> list[dict]:
    return [{"unique_id": office.agency, "agency_code": f"GUPS-{office.code}",
             "name_i18n": {"en": f"GUPS {office.name}", "fr": f"Guichet unique de protection sociale de {office.name}"}}
            for office in offices()]


def user_groups() -> list[dict]:
    return [{"unique_id": office.group, "name": f"Équipe du GUPS de {office.name}"} for office in offices()]


def users(rng: random.Random) -> list[dict]:
    """The supervisors and social workers, as `POST /users` (or services.accounts.create_user) takes them."""
    people = []
    for office in offices():
        for user_name, role in [(office.supervisor, SUPERVISOR_ROLE)] + [(w, WORKER_ROLE) for w in office.workers]:
            people.append({"user_name": user_name, "password": PASSWORD, "role_unique_id": role,
                           "full_name": f"{first_name(rng)} {last_name(rng).upper()}", "locale": "fr",
                           "agency_unique_id": office.agency, "user_group_unique_ids": [office.group]})
    return people


def registered_at(rng: random.Random, now: datetime, days: int = 730) -> datetime:
    """A moment within the last two years, in office hours, recent ones more likely (a few today)."""
    moment = (now - timedelta(days=days * rng.random() ** 1.3)).replace(
        hour=rng.randrange(7, 17), minute=rng.randrange(60), second=rng.randrange(60), microsecond=0)
    return moment if moment < now else now - timedelta(minutes=rng.randrange(5, 300))


def case_data(rng: random.Random, office: Office, registered: date) -> dict:
    """A case registered at `office` on `registered`, its child and family named as in Bénin and Cameroon."""
    data = shipped_case_data(rng)
    family = last_name(rng)
    born = registered - timedelta(days=rng.randrange(365, 17 * 365))
    data.update(registration_date=registered.isoformat(), date_of_birth=born.isoformat(),
                age=(registered - born).days // 365, name_first=first_name(rng), name_last=family,
                location_current=office.commune,
                nationality=[rng.choices(["beninese", "nigerian", "togolese", "nigerien"], [90, 5, 3, 2])[0]],
                language=rng.sample(LANGUAGES, rng.randrange(1, 3)),
                address_current=f"Quartier {last_name(rng)}, maison {last_name(rng)}, {office.name}")
    if rng.random() < 0.3:
        data["name_nickname"] = first_name(rng)
    for row in data["family_details_section"]:  # most relatives carry the child's family name
        row["relation_name"] = f"{first_name(rng)} {family if rng.random() < 0.7 else last_name(rng)}"
    for row in data["services_section"]:
        row["service_referral_date"] = registered.isoformat()
        row["service_response_day_time"] = f"{registered.isoformat()}T10:30:00+01:00"
    return data
