"""Realistic case data for the shipped configuration (French and English names, subform rows)."""
from __future__ import annotations

import random
from datetime import date, timedelta

FIRST = ["Awa", "Koffi", "Nadia", "Benoît", "Aïcha", "Jean-Baptiste", "Fatoumata", "Kossi", "Mariam", "Ngo",
         "Séraphin", "Chantal", "Ibrahim", "Estelle", "Mohamadou", "Grâce", "Rodrigue", "Clémentine"]
LAST = ["Dossou", "Ahouansou", "Bassa", "Mbarga", "Tchatchoua", "Hounkpè", "Zinsou", "Njoya", "Fotso", "Akplogan",
        "Bello", "Kouassi", "Ngono", "Essomba"]
CONCERNS = ["abandoned", "street_child", "physically_or_mentally_abused", "worst_forms_of_child_labor", "child_marriage",
            "trafficked_smuggled", "disabled", "child_mother"]


def case_data(rng: random.Random) -> dict:
    """A valid case for the shipped case forms, with family members and services."""
    born = date(2008, 1, 1) + timedelta(days=rng.randrange(5800))
    registered = date(2024, 1, 1) + timedelta(days=rng.randrange(600))
    risk = rng.choice(["low", "medium", "high"])
    data = {
        "registration_date": registered.isoformat(), "name_first": rng.choice(FIRST), "name_last": rng.choice(LAST),
        "sex": rng.choice(["female", "male"]), "date_of_birth": born.isoformat(),
        "age": (registered - born).days // 365, "nationality": [rng.choice(["beninese", "cameroonian", "nigerian"])],
        "language": rng.sample(["french", "english", "fon", "yoruba", "ewondo"], 2),
        "address_current": f"{rng.randrange(1, 300)} rue {rng.choice(LAST)}, quartier {rng.choice(LAST)}",
        "protection_concerns": rng.sample(CONCERNS, rng.randrange(1, 3)), "risk_level": risk,
        "consent_for_services": "consent_given", "consent_for_data_sharing": "consent_given",
        "number_of_adults_in_household": rng.randrange(1, 4), "number_of_children_in_household": rng.randrange(1, 7),
        "family_details_section": [{"relation_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                                    "relation": rng.choice(["mother", "father", "aunt", "grandmother"]),
                                    "relation_age": rng.randrange(25, 70)} for _ in range(rng.randrange(1, 4))],
        "services_section": [{"service_type": rng.choice(["psychosocial_service", "education_service", "health_medical_service"]),
                              "service_provider": "ONG Enfance et Avenir", "service_referral_date": registered.isoformat(),
                              "service_response_day_time": f"{registered.isoformat()}T10:30:00+01:00",
                              "service_status": "referred"} for _ in range(rng.randrange(0, 3))],
    }
    if risk == "high":
        data["risk_level_reason"] = "Violences répétées au domicile ; l'enfant dort dans la rue depuis deux semaines."
    return data
