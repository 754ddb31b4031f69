"""Demo data: help desks in Italy and France, staff accounts, workers, and cases of the four pathways at
different stages (some overdue, some on hold, some closed).

Cases are built by running engine operations — as the operators, mentors, workers and external signers
would — on a clock set in the past, so every demo case has a real event history.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine import Actor, CaseService, FileStore, Member, PathwayLibrary
from engine.i18n import localize
from engine.models import Case, Desk, utcnow
from engine.pathway import AssessmentRequirement, ChecklistItem, DocumentRule, Form, FormField, SignOffRule
from engine.requirements import StageState
from engine.scenarios import sample_file

from .models import DeskMembership, User

DEMO_PASSWORD = "opera-demo-2026"

DESKS = [
    ("genova", "Sportello OPERA Genova", "IT", "Liguria"),
    ("livorno", "Sportello OPERA Livorno", "IT", "Toscana"),
    ("cagliari", "Sportello OPERA Cagliari", "IT", "Sardegna"),
    ("nice", "Guichet OPERA Nice", "FR", "Provence-Alpes-Côte d'Azur"),
    ("toulon", "Guichet OPERA Toulon", "FR", "Provence-Alpes-Côte d'Azur"),
    ("bastia", "Guichet OPERA Bastia", "FR", "Corse"),
]

# (id, e-mail, name, roles, desks, language); every demo account has the password DEMO_PASSWORD.
STAFF = [
    ("admin", "admin@opera.example", "Alessandra Ferri", ["admin"], [], "en"),
    ("op.genova", "operatore.genova@opera.example", "Giulia Parodi", ["operator"], ["genova", "livorno"], "it"),
    ("op.cagliari", "operatore.cagliari@opera.example", "Marco Pinna", ["operator"], ["cagliari"], "it"),
    ("op.nice", "conseillere.nice@opera.example", "Claire Martin", ["operator"], ["nice", "toulon"], "fr"),
    ("op.bastia", "conseiller.bastia@opera.example", "Paul Santoni", ["operator"], ["bastia"], "fr"),
    ("mentor.rossi", "elena.rossi@opera.example", "Elena Rossi", ["mentor"], [], "it"),
    ("mentor.bianchi", "luca.bianchi@opera.example", "Luca Bianchi", ["mentor"], [], "it"),
    ("mentor.dubois", "antoine.dubois@opera.example", "Antoine Dubois", ["mentor"], [], "fr"),
    ("designer", "designer@opera.example", "Sara Conti", ["designer"], [], "en"),
    ("worker.demo", "worker@opera.example", "Davide Serra", ["worker"], [], "it"),
]

WORKER_NAMES_IT = [
    "Anna Rossi", "Luca Ferrari", "Sara Verdi", "Giorgio Esposito", "Chiara Romano", "Matteo Colombo",
    "Francesca Ricci", "Alessandro Marino", "Elisa Greco", "Davide Bruno", "Martina Gallo", "Simone Conti",
    "Valentina De Luca", "Andrea Mancini", "Federica Costa", "Roberto Giordano", "Paola Rizzo", "Stefano Lombardi",
    "Ilaria Moretti", "Nicola Barbieri", "Gianni Piras", "Maria Sanna", "Efisio Melis", "Bonaria Murgia",
]
WORKER_NAMES_FR = [
    "Camille Bernard", "Julien Petit", "Sophie Durand", "Nicolas Leroy", "Émilie Moreau", "Thomas Simon",
    "Laura Laurent", "Antoine Michel", "Manon Garcia", "Hugo David", "Chloé Bertrand", "Lucas Roux",
    "Jean-Baptiste Santucci", "Marie-Ange Luciani", "Pierre Paoli", "Ange Mattei", "Léa Fournier", "Louis Girard",
]

# Sex as the demo workers would record it (the names alone do not say it); the others are male.
DEMO_FEMALE = {
    "Anna Rossi", "Sara Verdi", "Chiara Romano", "Francesca Ricci", "Elisa Greco", "Martina Gallo",
    "Valentina De Luca", "Federica Costa", "Paola Rizzo", "Ilaria Moretti", "Maria Sanna", "Bonaria Murgia",
    "Camille Bernard", "Sophie Durand", "Émilie Moreau", "Laura Laurent", "Manon Garcia", "Chloé Bertrand",
    "Marie-Ange Luciani", "Léa Fournier",
}


def demo_details(name: str, rng: random.Random) -> tuple[str | None, int | None]:
    """Sex and year of birth of a demo worker: most recorded, some only in part, some not at all."""
    draw = rng.random()
    if draw < 0.12:
        return None, None  # prefers not to say
    year = rng.randint(1962, 1998)
    if draw < 0.2:
        return None, year
    return ("female" if name in DEMO_FEMALE else "male"), year


INTAKE = ["interview_done", "consent_recorded", "profile_complete", "assessment_done", "pathway_confirmed"]


@dataclass
class DemoCase:
    desk: str
    pathway: str
    workers: int
    mentor: str | None
    exits: list[str]
    started_days_ago: int
    step_days: int
    supply_chains: tuple[str, ...] = ()
    title: str = ""
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    then: list[tuple[str, ...]] = field(default_factory=list)  # further steps: ("hold", reason)...
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # per assessment id: answers given as such
    jobs: dict[str, int] = field(default_factory=dict)  # recorded at the outcome: jobs_created, jobs_kept


def demo_cases() -> list[DemoCase]:
    return [
        # A WBO group at the feasibility study: checklist done, form and the mentor's sign-off missing.
        DemoCase("genova", "wbo", 3, "mentor.rossi", INTAKE + ["branch_viable", "group_formed"], 90, 9,
                 ("nautical_shipbuilding",), "Cantiere navale di Sestri", then=[("tick", "cooperative_association_consulted")]),
        # A start-up waiting for the mentor's approval of the business plan.
        DemoCase("genova", "startup", 1, "mentor.rossi", INTAKE + ["idea_clear", "model_ready", "market_ok"], 80, 8,
                 ("sustainable_tourism",), then=[("prepare", "mentor_approval")]),
        # A start-up that reached its outcome (its worker answered the follow-up questionnaire at the end).
        DemoCase("genova", "startup", 1, "mentor.rossi", INTAKE + [
            "idea_clear", "model_ready", "market_ok", "plan_approved", "financing_complete", "registered_it",
            "company_running"], 700, 25, ("blue_green_energy",),
            answers={"entrecomp-followup": {"activity_status": "running", "jobs_created": 2}},
            jobs={"jobs_created": 2, "jobs_kept": 1}),
        # A WBO whose feasibility study was negative: the group continues as a start-up (a new case).
        DemoCase("genova", "wbo", 3, "mentor.bianchi", INTAKE + ["branch_viable", "group_formed", "to_startup"],
                 160, 10, ("nautical_shipbuilding",), "Officine meccaniche Val Polcevera",
                 overrides={"feasibility_study": {"viable": False, "market_outlook": "poor"}}),
        # A spin-off on hold.
        DemoCase("livorno", "spinoff", 2, "mentor.bianchi", INTAKE + ["opportunity_defined"], 75, 7,
                 ("blue_green_biotech",), "Laboratorio alghe Livorno",
                 then=[("hold", "In attesa della risposta dell'azienda madre dopo le ferie")]),
        # A WBO group still forming, overdue.
        DemoCase("livorno", "wbo", 2, "mentor.bianchi", INTAKE + ["branch_viable"], 200, 10, ("blue_green_energy",),
                 "Carpenteria Piombino"),
        # A community cooperative in Sardinia at the founding meeting.
        DemoCase("cagliari", "community_coop", 4, "mentor.bianchi", INTAKE + ["mapping_done"], 70, 8,
                 ("sustainable_tourism",), "Cooperativa di comunità Ulassai"),
        # A start-up withdrawn after the intake.
        DemoCase("cagliari", "startup", 1, None, INTAKE[:3], 120, 6,
                 then=[("draft",), ("withdraw", "Ha trovato un impiego a tempo pieno")]),
        # A French SCOP takeover at the business plan and financing.
        DemoCase("nice", "wbo", 2, "mentor.dubois", INTAKE + ["branch_viable", "group_formed", "feasible"], 130, 10,
                 ("nautical_shipbuilding",), "Chantier naval de l'Estérel"),
        # A new case: interview, consent and skills profile in its first days, the questionnaire half answered.
        DemoCase("nice", "startup", 1, None, INTAKE[:3], 4, 1, then=[("draft",)]),
        # A French spin-off at the business plan, the plan filled in by the operator.
        DemoCase("toulon", "spinoff", 3, "mentor.dubois", INTAKE + ["opportunity_defined", "agreed"], 110, 9,
                 ("blue_green_energy",), "Essaimage éolien flottant", then=[("prepare", "mentor_approval")]),
        # A Corsican community cooperative (SCIC) at the services plan.
        DemoCase("bastia", "community_coop", 3, "mentor.dubois", INTAKE + ["mapping_done", "founders_enough"], 140, 9,
                 ("sustainable_tourism",), "SCIC Castagniccia",
                 overrides={"founding_meeting": {"member_categories": 3}}),
        # A case referred to other services at the pathway choice.
        DemoCase("bastia", "startup", 1, None, INTAKE[:4] + ["refer_elsewhere"], 90, 7),
        # Some early cases, to fill the desk pages: every worker has at least started the questionnaire.
        DemoCase("genova", "startup", 1, None, INTAKE[:3], 30, 5, then=[("draft",)]),
        DemoCase("genova", "spinoff", 2, None, INTAKE[:4], 20, 4),
        DemoCase("livorno", "startup", 1, None, INTAKE[:3], 50, 6, then=[("draft",)]),
        DemoCase("toulon", "startup", 1, None, INTAKE[:4], 40, 9),
        DemoCase("nice", "community_coop", 2, None, INTAKE[:3], 35, 5, then=[("draft",)]),
        # A WBO that constituted its cooperative and rents the branch from the owner; at the end of the
        # first year every member answered the follow-up questionnaire: their progress since the intake.
        DemoCase("cagliari", "wbo", 3, "mentor.bianchi", INTAKE + [
            "branch_viable", "group_formed", "feasible", "financed", "constituted_it", "agreement_with_owner",
            "operations_started", "coop_running"], 820, 60, ("blue_green_energy",), "Cooperativa Pale Eoliche Sulcis",
            overrides={"branch_agreement": {"counterparty": "owner"}},
            answers={"entrecomp-followup": {"activity_status": "running", "jobs_created": 11}},
            jobs={"jobs_created": 11, "jobs_kept": 3}),
        # A French SCIC in its first year, overdue: two of its members have answered the follow-up so far.
        DemoCase("bastia", "community_coop", 3, "mentor.dubois", INTAKE + [
            "mapping_done", "founders_enough", "feasible", "constituted_fr", "services_started"], 980, 55,
            ("sustainable_tourism",), "SCIC Cap Corse", overrides={"founding_meeting": {"member_categories": 3}},
            then=[("reassess", "2")], answers={"entrecomp-followup": {"activity_status": "starting"}}),
    ]


class DemoClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Builder:
    """Runs engine operations as the people of a demo case would."""

    def __init__(self, service: CaseService, sessions: sessionmaker[Session], clock: DemoClock, rng: random.Random,
                 answers: dict[str, dict[str, Any]] | None = None):
        self.service = service
        self.sessions = sessions
        self.clock = clock
        self.rng = rng
        self.answers = answers or {}  # per assessment id: answers given as such (the rest is drawn)

    def operator_for(self, desk: str) -> Actor:
        for user_id, _e, _n, roles, desks, _l in STAFF:
            if desk in desks:
                return Actor.of(user_id, roles, desks)
        raise LookupError(desk)

    def state(self, case_id: int) -> StageState:
        with self.sessions() as session:
            case = self.service.get(session, case_id)
            state = self.service.stage_state(session, case)
            _ = state.workers, state.desk  # read now: the state outlives its session
            state.connection = None
            session.expunge_all()
            return state

    def form_data(self, spec: Form, overrides: dict[str, Any], lang: str = "it") -> dict[str, Any]:
        data = {f.id: sample_value(f, self.clock.now, lang) for f in spec.fields}
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    def complete(self, case_id: int, version: int, exit_id: str, operator: Actor, mentor: Actor | None,
                 overrides: dict[str, dict[str, Any]], jobs: dict[str, int] | None = None) -> int:
        """Meet what the exit needs, as the right people, then take it."""
        version = self.prepare(case_id, version, exit_id, operator, mentor, overrides)
        if jobs:
            exit_ = self.state(case_id).stage.exit(exit_id)
            jobs = jobs if exit_ is not None and exit_.outcome else {}  # jobs are counted at an outcome only
        return self.service.advance(case_id, operator, version, exit_id, **(jobs or {})).version

    def prepare(self, case_id: int, version: int, exit_id: str, operator: Actor, mentor: Actor | None,
                overrides: dict[str, dict[str, Any]]) -> int:
        """Meet what the exit needs, as the right people, without taking it."""
        state = self.state(case_id)
        stage = state.stage
        exit_ = stage.exit(exit_id)
        if exit_ is None:
            raise LookupError(f"{stage.id} has no exit {exit_id}")
        needed = list(state.needed(exit_))
        if stage.form is not None and stage.form not in needed and stage.id not in state.forms:
            needed.append(stage.form)  # conditions read the form even when the exit does not require it
        for requirement in needed:
            version = self.meet(case_id, version, state, requirement, operator, mentor, overrides.get(stage.id, {}))
            self.clock.now += timedelta(hours=self.rng.randint(2, 30))
        return version

    def meet(self, case_id: int, version: int, state: StageState, requirement: Any, operator: Actor,
             mentor: Actor | None, overrides: dict[str, Any]) -> int:
        rs = state.requirement_state(requirement)
        if rs.met and not (isinstance(requirement, Form) and overrides):
            return version
        workers = [pid for pid, _name in state.workers]
        lang = desk_language(state.case.desk_id)

        def who(roles: tuple[str, ...], member: str | None) -> Actor:
            if "operator" in roles:
                return operator
            if "mentor" in roles and mentor is not None:
                return mentor
            return Actor.of(member or workers[0], ["worker"])

        if isinstance(requirement, ChecklistItem):
            for member in (workers if requirement.per_member else [None]):
                if member is not None and member in rs.done_by:
                    continue
                version = self.service.tick(case_id, who(requirement.roles, member), version, requirement.id,
                                            member=member).version
        elif isinstance(requirement, DocumentRule):
            ext = requirement.types[0]
            for member in (workers if requirement.per_member else [None]):
                content = sample_file(f"x.{ext}", 2048 + self.rng.randint(0, 4096))
                name = f"{requirement.id.replace('_', '-')}.{ext}"
                version = self.service.attach_document(case_id, who(requirement.uploaded_by, member), version,
                                                       requirement.id, name, content, member=member).version
        elif isinstance(requirement, AssessmentRequirement):
            for member in workers:
                if member in rs.done_by:
                    continue
                version = self.assess(case_id, version, requirement, member, who(requirement.roles, member))
        elif isinstance(requirement, Form):
            version = self.service.submit_form(case_id, who(requirement.roles, None), version,
                                               self.form_data(requirement, overrides, lang)).version
        else:
            assert isinstance(requirement, SignOffRule)
            for i in range(len(rs.rows), requirement.count):
                # a committee is several people: each sign-off after the first comes from another one
                signer = mentor if requirement.role == "mentor" and mentor is not None and i == 0 else Actor.of(
                    f"ext.{requirement.role}" + (f".{i + 1}" if i else ""), [requirement.role])
                if requirement.role != "mentor":  # a party of the case signs in the roles a pathway declares
                    version = self.party(case_id, version, requirement.role, signer.id, who(("operator",), None),
                                         lang)
                version = self.service.sign_off(case_id, signer, version, requirement.id,
                                                comment=_comment(requirement.role, lang)).version
        return version


    def party(self, case_id: int, version: int, role: str, account_id: str, operator: Actor, lang: str = "it") -> int:
        """The case's party in `role` for this external account, added once (linked to the account)."""
        with self.sessions() as session:
            case = session.get(Case, case_id)
            same_role = [p for p in case.parties if p.role == role and p.removed_at is None]
            if any(p.account_id == account_id for p in same_role):
                return version
        # a committee's second member is another organisation of the same kind
        name = _PARTY_NAMES[lang].get(role, role) + (f" ({len(same_role) + 1})" if same_role else "")
        return self.service.add_party(case_id, operator, version, role, organisation=name, name=name,
                                      email=f"{account_id}@parties.example", account_id=account_id).version

    def assess(self, case_id: int, version: int, requirement: AssessmentRequirement, member: str, actor: Actor) -> int:
        """One worker's answers, submitted through the engine; a re-assessment's answers grow from the
        worker's own baseline answers, so the demo's progress is the kind a real follow-up shows."""
        assessment, answers = self.sampled_answers(requirement)
        with self.sessions() as session:
            baseline = self.baseline_scores(session, case_id, member, assessment.compares_to) \
                if assessment.compares_to else {}
        for question in assessment.questions:
            if question.type != "scale" or not question.scores:
                continue
            dimension, _weight, reverse = question.scores[0]
            before = baseline.get(dimension)
            if isinstance(before, (int, float)):
                level = max(1, min(5, round(before + self.rng.choice((-1, 0, 1, 1, 1, 2)))))
                answers[question.id] = 6 - level if reverse else level
        answers.update(self.answers.get(assessment.id, {}))
        return self.service.submit_assessment(case_id, actor, version, person_id=member, answers=answers).version

    def start_assessment(self, case_id: int, requirement: AssessmentRequirement, member: str, actor: Actor) -> None:
        """The first half of one worker's answers, kept as a draft (as the questionnaire page saves them)."""
        assessment, answers = self.sampled_answers(requirement)
        first_half = [q.id for q in assessment.questions][:len(assessment.questions) // 2]
        self.service.save_assessment_answers(case_id, actor, {q: answers[q] for q in first_half if q in answers},
                                             person_id=member)

    def sampled_answers(self, requirement: AssessmentRequirement) -> tuple[Any, dict[str, Any]]:
        """The requirement's current questionnaire and a plausible full set of answers to it."""
        from .cases.questionnaire import sample_answers

        assessments = self.service.assessments
        with self.sessions() as session:
            assessment = assessments.revision(assessments.current_revision_id(requirement.assessment_id, session))
        return assessment, sample_answers(assessment, seed=self.rng.randint(0, 10**6))

    @staticmethod
    def baseline_scores(session: Session, case_id: int, member: str, assessment_id: str) -> dict[str, Any]:
        """The worker's first submitted scores of an assessment, in this case or the cases it continues."""
        from engine.models import AssessmentResponse
        from engine.progress import case_chain

        first = session.scalars(select(AssessmentResponse).where(
            AssessmentResponse.case_id.in_(case_chain(session, case_id)), AssessmentResponse.person_id == member,
            AssessmentResponse.assessment_id == assessment_id, AssessmentResponse.submitted_at.is_not(None))
            .order_by(AssessmentResponse.submitted_at, AssessmentResponse.id).limit(1)).first()
        return dict((first.result or {}).get("scores", {})) if first is not None else {}


# The texts a desk writes (party names, comments, form answers) in its own language: Italian at the Italian desks,
# French at the French ones.
_PARTY_NAMES = {
    "it": {"notary": "Studio notarile Ferrando", "financing_body": "CFI — Cooperazione Finanza Impresa",
           "cooperative_association": "Legacoop Liguria", "former_employer": "Cantiere Navale Ligure S.p.A.",
           "insolvency_administrator": "Dott. Bruzzone, curatore", "parent_firm": "Azienda madre",
           "municipality": "Comune"},
    "fr": {"notary": "Office notarial Giordan", "financing_body": "France Active Provence-Alpes-Côte d'Azur",
           "cooperative_association": "Union régionale des Scop", "former_employer": "Chantiers navals du Var SA",
           "insolvency_administrator": "Me Ricard, mandataire judiciaire", "parent_firm": "Société mère",
           "municipality": "Commune"},
}

_COMMENTS = {
    "it": {"mentor": "Piano verificato con il gruppo", "notary": "Atto rogato", "financing_body": "Delibera positiva",
           "": "Parere favorevole"},
    "fr": {"mentor": "Plan vérifié avec le groupe", "notary": "Acte signé", "financing_body": "Avis favorable du comité",
           "": "Avis favorable"},
}

_SAMPLE_TEXTS = {
    "it": {
        "activity": "Manutenzione di imbarcazioni da diporto e refitting degli interni.",
        "area_name": "Borgo di Lavagnina",
        "assets_included": "Due carriponte, il magazzino ricambi e i contratti di assistenza con i porticcioli.",
        "company_name": "Officina Mare S.r.l.",
        "coop_name": "Cooperativa di comunità Lavagnina",
        "crisis_firm": "Cantiere Navale Ligure S.p.A.",
        "difficulties": "Accesso al credito lento; ricerca di un capannone in affitto.",
        "firm_name": "Cantiere Navale Ligure S.p.A.",
        "idea_summary": "Riparazione e rimessaggio di piccole imbarcazioni, con un servizio di ritiro nei porti vicini.",
        "learning_needs": "Gestione d'impresa, contabilità di base, sicurezza sul lavoro.",
        "main_risks": "Dipendenza da pochi clienti; stagionalità degli ordini.",
        "motivation": "Mettere a frutto vent'anni di esperienza in cantiere e restare sul territorio.",
        "notes": "Lavoratore motivato, con esperienza da capo reparto; disponibile a formarsi.",
        "occupation": "Carpentiere navale",
        "parent_firm_name": "Cantiere Navale Ligure S.p.A.",
        "perimeter": "Reparto di allestimento interni e falegnameria navale.",
        "promoters": "Pro loco, parrocchia e dodici famiglie del borgo.",
        "rationale": "Competenze tecniche solide e un gruppo di colleghi pronto a partecipare.",
        "registration_number": "GE-512345",
        "spokesperson": "Marco Bruzzone",
        "strengths": "Esperienza tecnica, rete di clienti, spirito di squadra.",
        "summary": "Il mercato locale regge; servono un socio commerciale e un primo finanziamento.",
        "target_customers": "Diportisti e piccoli porti turistici del Tigullio",
    },
    "fr": {
        "activity": "Entretien de bateaux de plaisance et réaménagement des intérieurs.",
        "area_name": "Village de Belvédère",
        "assets_included": "Deux ponts roulants, le magasin de pièces et les contrats d'entretien avec les ports.",
        "company_name": "Atelier Mer SARL",
        "coop_name": "Coopérative villageoise de Belvédère",
        "crisis_firm": "Chantiers navals du Var SA",
        "difficulties": "Accès au crédit lent ; recherche d'un atelier à louer.",
        "firm_name": "Chantiers navals du Var SA",
        "idea_summary": "Réparation et hivernage de petits bateaux, avec un service d'enlèvement dans les ports voisins.",
        "learning_needs": "Gestion d'entreprise, comptabilité de base, sécurité au travail.",
        "main_risks": "Dépendance à quelques clients ; saisonnalité des commandes.",
        "motivation": "Valoriser vingt ans d'expérience au chantier et rester dans la région.",
        "notes": "Salarié motivé, ancien chef d'atelier ; prêt à se former.",
        "occupation": "Charpentier de marine",
        "parent_firm_name": "Chantiers navals du Var SA",
        "perimeter": "Atelier d'aménagement intérieur et de menuiserie navale.",
        "promoters": "Comité des fêtes, association des commerçants et douze familles du village.",
        "rationale": "Des compétences techniques solides et un groupe de collègues prêt à s'engager.",
        "registration_number": "RCS Toulon 512 345 678",
        "spokesperson": "Jean Ricard",
        "strengths": "Expérience technique, réseau de clients, esprit d'équipe.",
        "summary": "Le marché local tient ; il faut un associé commercial et un premier financement.",
        "target_customers": "Plaisanciers et petits ports de la rade de Toulon",
    },
}


def desk_language(desk_id: str) -> str:
    """The language a demo desk writes in: French in France, Italian in Italy."""
    return "fr" if any(d[0] == desk_id and d[2] == "FR" for d in DESKS) else "it"


def _comment(role: str, lang: str) -> str:
    return _COMMENTS[lang].get(role, _COMMENTS[lang][""])


def sample_value(f: FormField, now: datetime, lang: str = "it") -> Any:
    raw = f.raw
    low, high = raw.get("minimum"), raw.get("maximum")
    if f.type in ("string", "text"):
        if str(raw.get("pattern", "")).startswith("^v"):
            return "v2.1"
        # what a desk would write: the dossier and the pages show it as the case's own
        return _SAMPLE_TEXTS[lang].get(f.id) or localize(f.label, lang)
    if f.type == "email":
        return "demo@example.org"
    if f.type == "date":
        return now.date().isoformat()
    if f.type in ("integer", "number"):
        value = 5 if f.type == "integer" else 25000
        if low is not None:
            value = max(value, low)
        if high is not None:
            value = min(value, high)
        return value
    if f.type == "boolean":
        return True
    if f.type == "choice":
        return f.options[0][0]
    if f.type == "choices":
        return [f.options[0][0]]
    return None


def ensure_staff(session: Session, password_hash: str) -> None:
    for desk_id, name, country, region in DESKS:
        if session.get(Desk, desk_id) is None:
            session.add(Desk(id=desk_id, name=name, country=country, region=region,
                             contact_email=f"sportello.{desk_id}@opera.example"))
    session.flush()
    for user_id, email, name, roles, desks, language in STAFF:
        if session.get(User, user_id) is None:
            user = User(id=user_id, email=email, display_name=name, password_hash=password_hash, roles=roles,
                        language=language, disabled=False, failed_logins=0)
            user.desk_links = [DeskMembership(desk_id=d) for d in desks]
            session.add(user)


def is_loaded(session: Session) -> bool:
    return (session.scalar(select(func.count()).select_from(User)) or 0) > 0


def load(sessions: sessionmaker[Session], library: PathwayLibrary, files: FileStore, password_hash: str,
         seed: int = 2026, cases: Iterable[DemoCase] | None = None) -> list[int]:
    """Create the desks, the accounts and the demo cases; returns the ids of the cases opened."""
    rng = random.Random(seed)
    with sessions.begin() as session:
        ensure_staff(session, password_hash)
    staff = {s[0]: s for s in STAFF}
    names = {"IT": list(WORKER_NAMES_IT), "FR": list(WORKER_NAMES_FR)}
    for pool in names.values():
        rng.shuffle(pool)
    country = {d[0]: d[2] for d in DESKS}
    opened: list[int] = []
    real_now = utcnow()
    counter = 0
    details_rng = random.Random(seed + 1)  # its own draws: the demo's other choices stay as they were
    for spec in (cases if cases is not None else demo_cases()):
        clock = DemoClock(real_now - timedelta(days=spec.started_days_ago))
        service = CaseService(sessions, library, files, clock=clock)
        builder = Builder(service, sessions, clock, rng, answers=spec.answers)
        operator = builder.operator_for(spec.desk)
        workers = []
        if not opened:
            # The demo worker account follows the first case (a WBO group), so its page is a real one.
            workers.append(Member("worker.demo", staff["worker.demo"][2], "male", 1974))
        with sessions.begin() as session:
            for _i in range(spec.workers - len(workers)):
                pool = names[country[spec.desk]]
                name = pool.pop() if pool else f"Worker {counter}"
                counter += 1
                user_id = f"w.{spec.desk}.{counter:03d}"
                session.add(User(id=user_id, email=None, display_name=name, password_hash=None, roles=["worker"],
                                 language=None, disabled=False, failed_logins=0))
                workers.append(Member(user_id, name, *demo_details(name, details_rng)))
        mentor_actor = None
        mentors = []
        if spec.mentor:
            mentors = [Member(spec.mentor, staff[spec.mentor][2])]
            mentor_actor = Actor.of(spec.mentor, ["mentor"])
        receipt = service.open_case(operator, pathway_id=spec.pathway, desk_id=spec.desk, members=workers,
                                    mentors=mentors, supply_chains=list(spec.supply_chains), title=spec.title)
        case_id, version = receipt.case_id, receipt.version
        opened.append(case_id)
        for exit_id in spec.exits:
            clock.now += timedelta(days=spec.step_days)
            result = builder.complete(case_id, version, exit_id, operator, mentor_actor, spec.overrides,
                                      spec.jobs)
            version = result
            with sessions() as session:
                case = service.get(session, case_id)
                if case.next_case_id:  # continued on another pathway
                    opened.append(case.next_case_id)
                    case_id, version = case.next_case_id, session.get(type(case), case.next_case_id).version
        for step in spec.then:
            clock.now += timedelta(days=max(1, spec.step_days // 2))
            version = _then(builder, case_id, version, step, operator, mentor_actor, spec.overrides)
    # The databank of the same desks: ESCO subset, profiles and resources left after the crises.
    from databank.demo import load_demo

    load_demo(sessions)
    return opened


def _then(builder: Builder, case_id: int, version: int, step: tuple[str, ...], operator: Actor,
          mentor: Actor | None, overrides: dict[str, dict[str, Any]]) -> int:
    service = builder.service
    kind = step[0]
    if kind == "hold":
        return service.hold(case_id, operator, version, step[1]).version
    if kind == "withdraw":
        return service.withdraw(case_id, operator, version, step[1]).version
    if kind == "tick":
        return service.tick(case_id, operator, version, step[1]).version
    if kind == "reassess":
        # The stage's questionnaire answered by the first workers only: the others have not yet.
        state = builder.state(case_id)
        requirement = state.stage.assessment
        assert requirement is not None, state.stage.id
        for member, _name in state.workers[:int(step[1])]:
            version = builder.assess(case_id, version, requirement, member, Actor.of(member, ["worker"]))
            builder.clock.now += timedelta(days=1)
        return version
    if kind == "draft":
        # The stage's questionnaire started at an interview and left halfway: saved, not submitted.
        state = builder.state(case_id)
        requirement = state.stage.assessment
        assert requirement is not None, state.stage.id
        for member, _name in state.workers:
            builder.start_assessment(case_id, requirement, member, operator)
        return version
    if kind == "prepare":
        # Everything but the given sign-off: it waits for the mentor.
        state = builder.state(case_id)
        for requirement in state.stage.requirements:
            if requirement.id == step[1] or not requirement.required:
                continue
            version = builder.meet(case_id, version, state, requirement, operator, mentor,
                                   overrides.get(state.stage.id, {}))
            state = builder.state(case_id)
        return version
    raise ValueError(kind)
