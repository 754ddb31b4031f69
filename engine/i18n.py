"""Languages of the project and the engine's own message catalogue.

Pathway files carry their own translations ({it, fr, en}); this module holds the texts the engine itself
produces (refusals, validation messages, timeline sentences), one entry per code, in the three languages.
"""
from __future__ import annotations

from typing import Callable, Mapping

LANGUAGES = ("it", "fr", "en")
DEFAULT_LANGUAGE = "en"
# Order in which a missing translation falls back.
FALLBACK = ("en", "it", "fr")


def localize(text: Mapping[str, str] | str | None, lang: str) -> str:
    """Pick `lang` from a localized text, falling back to another language rather than to nothing."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if text.get(lang):
        return text[lang]
    for other in FALLBACK:
        if text.get(other):
            return text[other]
    return next((v for v in text.values() if v), "")


class _SafeDict(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def message(code: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The localized sentence for a message code, with its parameters filled in."""
    entry = MESSAGES.get(code)
    if entry is None:
        return code + (" " + repr(params) if params else "")
    return fill(entry, lang, params)


def fill(entry: Mapping[str, str], lang: str, params: Mapping[str, object],
         fmt: Callable[[object], str] | None = None) -> str:
    """A localized template with its parameters filled in; a missing parameter stays visible as {name}."""
    fmt = fmt or _fmt
    return localize(entry, lang).format_map(_SafeDict({k: fmt(v) for k, v in params.items()}))


def _fmt(value: object) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value)
    return str(value)


MESSAGES: dict[str, dict[str, str]] = {
    # --- refusals of case operations -------------------------------------------------------------
    "conflict": {
        "en": "This case changed meanwhile (you saw version {expected}, it is now at version {actual}). Reload it and try again: nothing was changed.",
        "it": "Questa pratica è cambiata nel frattempo (avevi la versione {expected}, ora è alla {actual}). Ricaricala e riprova: non è stato modificato nulla.",
        "fr": "Ce dossier a changé entre-temps (vous aviez la version {expected}, il est maintenant à la version {actual}). Rechargez-le et réessayez : rien n'a été modifié.",
    },
    "case_not_found": {
        "en": "Case {case_id} does not exist.",
        "it": "La pratica {case_id} non esiste.",
        "fr": "Le dossier {case_id} n'existe pas.",
    },
    "case_closed": {
        "en": "This case is closed ({outcome}); it can no longer be changed.",
        "it": "Questa pratica è chiusa ({outcome}); non può più essere modificata.",
        "fr": "Ce dossier est clos ({outcome}) ; il ne peut plus être modifié.",
    },
    "case_on_hold": {
        "en": "This case is on hold; resume it first.",
        "it": "Questa pratica è sospesa; riprendila prima di procedere.",
        "fr": "Ce dossier est suspendu ; reprenez-le d'abord.",
    },
    "case_not_on_hold": {
        "en": "This case is not on hold.",
        "it": "Questa pratica non è sospesa.",
        "fr": "Ce dossier n'est pas suspendu.",
    },
    "not_allowed": {
        "en": "You are not allowed to do this: {reason}",
        "it": "Non sei autorizzato a farlo: {reason}",
        "fr": "Vous n'êtes pas autorisé à faire cela : {reason}",
    },
    "not_allowed.desk": {
        "en": "the case belongs to another help desk.",
        "it": "la pratica appartiene a un altro sportello.",
        "fr": "le dossier appartient à un autre guichet.",
    },
    "not_allowed.role": {
        "en": "this needs one of the roles: {roles}.",
        "it": "serve uno di questi ruoli: {roles}.",
        "fr": "il faut l'un de ces rôles : {roles}.",
    },
    "not_allowed.not_member": {
        "en": "you are not a member of this case.",
        "it": "non fai parte di questa pratica.",
        "fr": "vous ne faites pas partie de ce dossier.",
    },
    "not_allowed.not_assigned": {
        "en": "you are not the mentor assigned to this case.",
        "it": "non sei il mentor assegnato a questa pratica.",
        "fr": "vous n'êtes pas le mentor affecté à ce dossier.",
    },
    "not_allowed.other_member": {
        "en": "a worker can act only for themselves.",
        "it": "un lavoratore può agire solo per sé stesso.",
        "fr": "un travailleur ne peut agir que pour lui-même.",
    },
    "reason_required": {
        "en": "Please give a reason.",
        "it": "Indica un motivo.",
        "fr": "Veuillez indiquer un motif.",
    },
    "unknown_requirement": {
        "en": "The stage '{stage}' has no {kind} '{requirement}'.",
        "it": "La fase '{stage}' non prevede {kind} '{requirement}'.",
        "fr": "L'étape '{stage}' ne prévoit pas de {kind} '{requirement}'.",
    },
    "unknown_exit": {
        "en": "The stage '{stage}' has no exit '{exit}'.",
        "it": "La fase '{stage}' non ha l'uscita '{exit}'.",
        "fr": "L'étape '{stage}' n'a pas de sortie '{exit}'.",
    },
    "unknown_outcome": {
        "en": "'{outcome}' is not an outcome of this pathway.",
        "it": "'{outcome}' non è un esito di questo percorso.",
        "fr": "« {outcome} » n'est pas une issue de ce parcours.",
    },
    "unknown_pathway": {
        "en": "There is no valid pathway '{pathway}'.",
        "it": "Non esiste un percorso valido '{pathway}'.",
        "fr": "Il n'existe pas de parcours valide « {pathway} ».",
    },
    "unknown_desk": {
        "en": "There is no help desk '{desk}'.",
        "it": "Non esiste lo sportello '{desk}'.",
        "fr": "Le guichet « {desk} » n'existe pas.",
    },
    "no_members": {
        "en": "A case needs at least one worker.",
        "it": "Una pratica richiede almeno un lavoratore.",
        "fr": "Un dossier nécessite au moins un travailleur.",
    },
    "group_too_small": {
        "en": "This pathway needs at least {min} workers.", "it": "Questo percorso richiede almeno {min} lavoratori.",
        "fr": "Ce parcours nécessite au moins {min} travailleurs.",
    },
    "group_too_large": {
        "en": "This pathway takes at most {max} worker(s).", "it": "Questo percorso ammette al massimo {max} lavoratori.",
        "fr": "Ce parcours accepte au plus {max} travailleur(s).",
    },
    "duplicate_members": {
        "en": "The same worker is listed twice.",
        "it": "Lo stesso lavoratore è indicato due volte.",
        "fr": "Le même travailleur figure deux fois.",
    },
    "member_required": {
        "en": "'{requirement}' is asked of each member: say for which member.",
        "it": "'{requirement}' è richiesto a ogni membro: indica per quale membro.",
        "fr": "« {requirement} » est demandé à chaque membre : indiquez pour quel membre.",
    },
    "not_a_member": {
        "en": "'{member}' is not a member of this case.",
        "it": "'{member}' non è membro di questa pratica.",
        "fr": "« {member} » n'est pas membre de ce dossier.",
    },
    "already_ticked": {
        "en": "'{item}' is already ticked.",
        "it": "'{item}' è già spuntato.",
        "fr": "« {item} » est déjà coché.",
    },
    "not_ticked": {
        "en": "'{item}' is not ticked.",
        "it": "'{item}' non è spuntato.",
        "fr": "« {item} » n'est pas coché.",
    },
    "already_signed": {
        "en": "You have already signed off '{signoff}' in this stage.",
        "it": "Hai già dato il tuo benestare per '{signoff}' in questa fase.",
        "fr": "Vous avez déjà donné votre accord pour « {signoff} » dans cette étape.",
    },
    "signoff_complete": {
        "en": "'{signoff}' already has all the sign-offs it needs.",
        "it": "'{signoff}' ha già tutti i benestare necessari.",
        "fr": "« {signoff} » a déjà tous les accords nécessaires.",
    },
    "signoff_distinct": {
        "en": "'{signoff}' must be given by a different person than {other}.",
        "it": "'{signoff}' deve essere dato da una persona diversa da {other}.",
        "fr": "« {signoff} » doit être donné par une autre personne que {other}.",
    },
    "signoff_distinct.form_submitter": {
        "en": "the person who filled in the form", "it": "chi ha compilato il modulo",
        "fr": "la personne qui a rempli le formulaire",
    },
    "signoff_distinct.case_opener": {
        "en": "the person who opened the case", "it": "chi ha aperto la pratica",
        "fr": "la personne qui a ouvert le dossier",
    },
    "signoff_distinct.signoff": {
        "en": "whoever signed '{other}'", "it": "chi ha firmato '{other}'",
        "fr": "la personne qui a signé « {other} »",
    },
    "stage_has_no_form": {
        "en": "The stage '{stage}' has no form.",
        "it": "La fase '{stage}' non prevede un modulo.",
        "fr": "L'étape '{stage}' n'a pas de formulaire.",
    },
    "form_invalid": {
        "en": "The form has errors; nothing was saved.",
        "it": "Il modulo contiene errori; non è stato salvato nulla.",
        "fr": "Le formulaire contient des erreurs ; rien n'a été enregistré.",
    },
    "document_not_found": {
        "en": "Document {document} is not attached to this case.",
        "it": "Il documento {document} non è allegato a questa pratica.",
        "fr": "Le document {document} n'est pas joint à ce dossier.",
    },
    "document_too_big": {
        "en": "The file is too big ({size} bytes); '{requirement}' accepts at most {max} bytes.",
        "it": "Il file è troppo grande ({size} byte); '{requirement}' accetta al massimo {max} byte.",
        "fr": "Le fichier est trop volumineux ({size} octets) ; « {requirement} » accepte au plus {max} octets.",
    },
    "document_empty": {
        "en": "The file is empty.", "it": "Il file è vuoto.", "fr": "Le fichier est vide.",
    },
    "document_type": {
        "en": "'{requirement}' accepts {types} files; this file is {found}.",
        "it": "'{requirement}' accetta file {types}; questo file è {found}.",
        "fr": "« {requirement} » accepte les fichiers {types} ; ce fichier est {found}.",
    },
    "document_name": {
        "en": "The file name is not acceptable.",
        "it": "Il nome del file non è accettabile.",
        "fr": "Le nom du fichier n'est pas acceptable.",
    },
    "exit_not_allowed": {
        "en": "This exit cannot be taken yet.",
        "it": "Questa uscita non può ancora essere presa.",
        "fr": "Cette sortie ne peut pas encore être prise.",
    },
    "reopen_not_visited": {
        "en": "The case can only be brought back to a stage it has already been through; '{stage}' is not one.",
        "it": "La pratica può tornare solo a una fase già attraversata; '{stage}' non lo è.",
        "fr": "Le dossier ne peut revenir qu'à une étape déjà parcourue ; « {stage} » n'en est pas une.",
    },
    "switch_same_pathway": {
        "en": "The case already follows this pathway.",
        "it": "La pratica segue già questo percorso.",
        "fr": "Le dossier suit déjà ce parcours.",
    },
    # --- why a stage cannot be left ---------------------------------------------------------------
    "missing.checklist": {
        "en": "Tick '{label}'.", "it": "Spunta '{label}'.", "fr": "Cochez « {label} ».",
    },
    "missing.checklist_member": {
        "en": "'{label}' is still missing for: {members}.",
        "it": "'{label}' manca ancora per: {members}.",
        "fr": "« {label} » manque encore pour : {members}.",
    },
    "missing.document": {
        "en": "Upload the document '{label}'.", "it": "Carica il documento '{label}'.",
        "fr": "Déposez le document « {label} ».",
    },
    "missing.document_member": {
        "en": "The document '{label}' is still missing for: {members}.",
        "it": "Il documento '{label}' manca ancora per: {members}.",
        "fr": "Le document « {label} » manque encore pour : {members}.",
    },
    "missing.form": {
        "en": "Fill in the form '{label}'.", "it": "Compila il modulo '{label}'.",
        "fr": "Remplissez le formulaire « {label} ».",
    },
    "missing.assessment": {
        "en": "The assessment '{label}' is still to be completed by: {members}.",
        "it": "La valutazione '{label}' deve ancora essere completata da: {members}.",
        "fr": "L'évaluation « {label} » doit encore être complétée par : {members}.",
    },
    "missing.signoff": {
        "en": "Sign-off '{label}' by {role}: {have} of {need} given.",
        "it": "Benestare '{label}' da parte di {role}: {have} su {need}.",
        "fr": "Accord « {label} » par {role} : {have} sur {need}.",
    },
    "missing.condition": {
        "en": "Condition not met: {condition}.", "it": "Condizione non soddisfatta: {condition}.",
        "fr": "Condition non remplie : {condition}.",
    },
    "missing.status": {
        "en": "The case is {status}.", "it": "La pratica è {status}.", "fr": "Le dossier est {status}.",
    },
    # --- form validation --------------------------------------------------------------------------
    "form.required": {
        "en": "This field is required.", "it": "Campo obbligatorio.", "fr": "Ce champ est obligatoire.",
    },
    "form.type": {
        "en": "Expected {expected}.", "it": "Valore atteso: {expected}.", "fr": "Valeur attendue : {expected}.",
    },
    "form.minimum": {
        "en": "Must be at least {limit}.", "it": "Deve essere almeno {limit}.", "fr": "Doit être au moins {limit}.",
    },
    "form.maximum": {
        "en": "Must be at most {limit}.", "it": "Deve essere al massimo {limit}.", "fr": "Doit être au plus {limit}.",
    },
    "form.minLength": {
        "en": "At least {limit} characters.", "it": "Almeno {limit} caratteri.", "fr": "Au moins {limit} caractères.",
    },
    "form.maxLength": {
        "en": "At most {limit} characters.", "it": "Al massimo {limit} caratteri.", "fr": "Au plus {limit} caractères.",
    },
    "form.enum": {
        "en": "Choose one of the proposed values.", "it": "Scegli uno dei valori proposti.",
        "fr": "Choisissez l'une des valeurs proposées.",
    },
    "form.pattern": {
        "en": "The format is not valid.", "it": "Il formato non è valido.", "fr": "Le format n'est pas valide.",
    },
    "form.format": {
        "en": "Not a valid {format}.", "it": "{format} non valido.", "fr": "{format} non valide.",
    },
    "form.unknown_field": {
        "en": "Unknown field.", "it": "Campo sconosciuto.", "fr": "Champ inconnu.",
    },
    "form.invalid": {
        "en": "Invalid value.", "it": "Valore non valido.", "fr": "Valeur non valide.",
    },
    "form.minItems": {
        "en": "Choose at least {limit}.", "it": "Scegline almeno {limit}.", "fr": "Choisissez-en au moins {limit}.",
    },
    "form.maxItems": {
        "en": "Choose at most {limit}.", "it": "Scegline al massimo {limit}.", "fr": "Choisissez-en au plus {limit}.",
    },
    "type.string": {"en": "text", "it": "un testo", "fr": "un texte"},
    "type.integer": {"en": "a whole number", "it": "un numero intero", "fr": "un nombre entier"},
    "type.number": {"en": "a number", "it": "un numero", "fr": "un nombre"},
    "type.boolean": {"en": "yes or no", "it": "sì o no", "fr": "oui ou non"},
    "type.array": {"en": "a list", "it": "un elenco", "fr": "une liste"},
    "type.object": {"en": "a group of fields", "it": "un gruppo di campi", "fr": "un groupe de champs"},
    # --- statuses and timeline --------------------------------------------------------------------
    "status.active": {"en": "active", "it": "attiva", "fr": "actif"},
    "status.on_hold": {"en": "on hold", "it": "sospesa", "fr": "suspendu"},
    "status.closed": {"en": "closed", "it": "chiusa", "fr": "clos"},
    "event.case_opened": {
        "en": "{actor} opened the case on the pathway '{pathway}'.",
        "it": "{actor} ha aperto la pratica sul percorso '{pathway}'.",
        "fr": "{actor} a ouvert le dossier sur le parcours « {pathway} ».",
    },
    "event.item_ticked": {
        "en": "{actor} ticked '{label}'{for_member}.", "it": "{actor} ha spuntato '{label}'{for_member}.",
        "fr": "{actor} a coché « {label} »{for_member}.",
    },
    "event.item_unticked": {
        "en": "{actor} unticked '{label}'{for_member}.", "it": "{actor} ha tolto la spunta a '{label}'{for_member}.",
        "fr": "{actor} a décoché « {label} »{for_member}.",
    },
    "event.document_attached": {
        "en": "{actor} uploaded '{filename}' as '{label}'{for_member}.",
        "it": "{actor} ha caricato '{filename}' come '{label}'{for_member}.",
        "fr": "{actor} a déposé « {filename} » comme « {label} »{for_member}.",
    },
    "event.document_removed": {
        "en": "{actor} removed the document '{filename}'.", "it": "{actor} ha rimosso il documento '{filename}'.",
        "fr": "{actor} a retiré le document « {filename} ».",
    },
    "event.form_submitted": {
        "en": "{actor} filled in the form '{label}'.", "it": "{actor} ha compilato il modulo '{label}'.",
        "fr": "{actor} a rempli le formulaire « {label} ».",
    },
    "event.signed_off": {
        "en": "{actor} signed off '{label}'.", "it": "{actor} ha dato il benestare '{label}'.",
        "fr": "{actor} a donné son accord « {label} ».",
    },
    "event.advanced": {
        "en": "{actor} moved the case from '{from_stage}' to '{to_stage}' ({exit}).",
        "it": "{actor} ha portato la pratica da '{from_stage}' a '{to_stage}' ({exit}).",
        "fr": "{actor} a fait passer le dossier de « {from_stage} » à « {to_stage} » ({exit}).",
    },
    "event.reopened": {
        "en": "{actor} brought the case back to '{to_stage}': {reason}",
        "it": "{actor} ha riportato la pratica a '{to_stage}': {reason}",
        "fr": "{actor} a ramené le dossier à « {to_stage} » : {reason}",
    },
    "event.put_on_hold": {
        "en": "{actor} put the case on hold: {reason}", "it": "{actor} ha sospeso la pratica: {reason}",
        "fr": "{actor} a suspendu le dossier : {reason}",
    },
    "event.resumed": {
        "en": "{actor} resumed the case: {reason}", "it": "{actor} ha ripreso la pratica: {reason}",
        "fr": "{actor} a repris le dossier : {reason}",
    },
    "event.closed": {
        "en": "{actor} closed the case with the outcome '{outcome}': {reason}",
        "it": "{actor} ha chiuso la pratica con esito '{outcome}': {reason}",
        "fr": "{actor} a clos le dossier avec l'issue « {outcome} » : {reason}",
    },
    "event.switched": {
        "en": "{actor} moved the case to the pathway '{pathway}' (new case {new_case}): {reason}",
        "it": "{actor} ha spostato la pratica sul percorso '{pathway}' (nuova pratica {new_case}): {reason}",
        "fr": "{actor} a transféré le dossier vers le parcours « {pathway} » (nouveau dossier {new_case}) : {reason}",
    },
    "event.continued_from": {
        "en": "{actor} opened this case on '{pathway}', continuing case {previous_case}.",
        "it": "{actor} ha aperto questa pratica su '{pathway}', in continuità con la pratica {previous_case}.",
        "fr": "{actor} a ouvert ce dossier sur « {pathway} », à la suite du dossier {previous_case}.",
    },
    "event.migrated": {
        "en": "{actor} moved the case to revision {revision} of the pathway.",
        "it": "{actor} ha spostato la pratica alla revisione {revision} del percorso.",
        "fr": "{actor} a passé le dossier à la révision {revision} du parcours.",
    },
    "event.members_changed": {
        "en": "{actor} changed the people of the case.", "it": "{actor} ha modificato le persone della pratica.",
        "fr": "{actor} a modifié les personnes du dossier.",
    },
    "event.reference_linked": {
        "en": "{actor} linked {label} to the case.", "it": "{actor} ha collegato {label} alla pratica.",
        "fr": "{actor} a lié {label} au dossier.",
    },
    "event.reference_unlinked": {
        "en": "{actor} unlinked {label} from the case.", "it": "{actor} ha scollegato {label} dalla pratica.",
        "fr": "{actor} a délié {label} du dossier.",
    },
    "event.assessment_submitted": {
        "en": "{actor} submitted the assessment '{label}'{for_member}.",
        "it": "{actor} ha inviato la valutazione '{label}'{for_member}.",
        "fr": "{actor} a envoyé l'évaluation « {label} »{for_member}.",
    },
    "event.pathway_chosen": {
        "en": "{actor} recorded the choice of the pathway '{pathway}' ({agreement}): {reason}",
        "it": "{actor} ha registrato la scelta del percorso '{pathway}' ({agreement}): {reason}",
        "fr": "{actor} a enregistré le choix du parcours « {pathway} » ({agreement}) : {reason}",
    },
    "dossier.ticked": {"en": "ticked", "it": "spuntato", "fr": "coché"},
    "dossier.yes": {"en": "yes", "it": "sì", "fr": "oui"},
    "dossier.no": {"en": "no", "it": "no", "fr": "non"},
    "choice.agrees": {"en": "as recommended", "it": "come raccomandato", "fr": "comme recommandé"},
    "choice.differs": {"en": "different from the recommendation", "it": "diverso dalla raccomandazione",
                       "fr": "différent de la recommandation"},
    "jobs_invalid": {
        "en": "Jobs are counted in whole numbers, 0 or more.", "it": "I posti di lavoro si contano in numeri interi, da 0 in su.",
        "fr": "Les emplois se comptent en nombres entiers, à partir de 0.",
    },
    "choice_without_assessment": {
        "en": "Record the pathway choice after the assessment: no one of this case has submitted it yet.",
        "it": "Registra la scelta del percorso dopo la valutazione: nessuno di questa pratica l'ha ancora inviata.",
        "fr": "Enregistrez le choix du parcours après l'évaluation : personne dans ce dossier ne l'a encore envoyée.",
    },
    "choice_stage_missing": {
        "en": "The pathway '{pathway}' has no stage '{stage}' to continue from; choose it at a stage both pathways share.",
        "it": "Il percorso '{pathway}' non ha la fase '{stage}' da cui proseguire; sceglilo in una fase comune ai due percorsi.",
        "fr": "Le parcours « {pathway} » n'a pas d'étape « {stage} » où continuer ; choisissez-le à une étape commune aux deux parcours.",
    },
    "unknown_assessment": {
        "en": "There is no assessment '{assessment}'.", "it": "Non esiste la valutazione '{assessment}'.",
        "fr": "Il n'existe pas d'évaluation « {assessment} ».",
    },
    "stage_has_no_assessment": {
        "en": "The stage '{stage}' asks for no assessment '{assessment}'.",
        "it": "La fase '{stage}' non prevede la valutazione '{assessment}'.",
        "fr": "L'étape « {stage} » ne prévoit pas l'évaluation « {assessment} ».",
    },
    "assessment_invalid": {
        "en": "Some answers are missing or not valid; nothing was submitted.",
        "it": "Alcune risposte mancano o non sono valide; non è stato inviato nulla.",
        "fr": "Certaines réponses manquent ou ne sont pas valides ; rien n'a été envoyé.",
    },
    "already_submitted": {
        "en": "This assessment was already submitted.", "it": "Questa valutazione è già stata inviata.",
        "fr": "Cette évaluation a déjà été envoyée.",
    },
    "event.person_erased": {
        "en": "The personal data of a person of this case were erased.",
        "it": "I dati personali di una persona di questa pratica sono stati cancellati.",
        "fr": "Les données personnelles d'une personne de ce dossier ont été effacées.",
    },
    "event.for_member": {"en": " for {member}", "it": " per {member}", "fr": " pour {member}"},
    "outcome.company_created": {"en": "company created", "it": "impresa costituita", "fr": "entreprise créée"},
    "outcome.coop_constituted": {"en": "cooperative constituted", "it": "cooperativa costituita", "fr": "coopérative constituée"},
    "outcome.employed": {"en": "employed", "it": "occupato", "fr": "en emploi"},
    "outcome.withdrawn": {"en": "withdrawn", "it": "ritirato", "fr": "abandon"},
    "outcome.referred": {"en": "referred", "it": "inviato ad altro percorso", "fr": "réorienté"},
    "role.operator": {"en": "an operator", "it": "un operatore", "fr": "un opérateur"},
    "role.mentor": {"en": "a mentor", "it": "un mentor", "fr": "un mentor"},
    "role.worker": {"en": "the worker", "it": "il lavoratore", "fr": "le travailleur"},
    "role.designer": {"en": "a designer", "it": "un progettista", "fr": "un concepteur"},
    "role.admin": {"en": "an administrator", "it": "un amministratore", "fr": "un administrateur"},
}

# --- problems in definition files (for methodology designers) ----------------------------------------
_PROBLEMS: dict[str, dict[str, str]] = {
    "at": {"en": "at {path}", "it": "in {path}", "fr": "à {path}"},
    "too_big": {
        "en": "the file is too big ({size} bytes; at most {max} bytes)",
        "it": "il file è troppo grande ({size} byte; al massimo {max} byte)",
        "fr": "le fichier est trop volumineux ({size} octets ; au plus {max} octets)",
    },
    "unreadable": {"en": "cannot read the file: {reason}", "it": "impossibile leggere il file: {reason}",
                   "fr": "impossible de lire le fichier : {reason}"},
    "encoding_utf16": {"en": "the file is UTF-16; save it as UTF-8", "it": "il file è in UTF-16; salvalo in UTF-8",
                       "fr": "le fichier est en UTF-16 ; enregistrez-le en UTF-8"},
    "encoding": {"en": "the file is not UTF-8 text (byte {byte}); save it as UTF-8",
                 "it": "il file non è testo UTF-8 (byte {byte}); salvalo in UTF-8",
                 "fr": "le fichier n'est pas du texte UTF-8 (octet {byte}) ; enregistrez-le en UTF-8"},
    "binary": {"en": "this is not a text file (it contains NUL bytes)",
               "it": "questo non è un file di testo (contiene byte NUL)",
               "fr": "ce n'est pas un fichier texte (il contient des octets NUL)"},
    "syntax": {"en": "YAML syntax error: {reason}", "it": "errore di sintassi YAML: {reason}",
               "fr": "erreur de syntaxe YAML : {reason}"},
    "too_deep": {"en": "nested more than {max} levels deep", "it": "annidato per più di {max} livelli",
                 "fr": "imbriqué sur plus de {max} niveaux"},
    "too_many_nodes": {"en": "the document has more than {max} elements (aliases included)",
                       "it": "il documento ha più di {max} elementi (alias compresi)",
                       "fr": "le document a plus de {max} éléments (alias compris)"},
    "several_documents": {"en": "a file holds one document only (remove the extra '---')",
                          "it": "un file contiene un solo documento (togli il '---' in più)",
                          "fr": "un fichier ne contient qu'un document (retirez le '---' en trop)"},
    "merge_key": {"en": "YAML merge keys ('<<') are not supported; write the keys out or use shared stages",
                  "it": "le chiavi di fusione YAML ('<<') non sono supportate; scrivi le chiavi o usa fasi condivise",
                  "fr": "les clés de fusion YAML ('<<') ne sont pas prises en charge ; écrivez les clés ou utilisez des étapes partagées"},
    "complex_key": {"en": "a key must be a plain word", "it": "una chiave deve essere una parola semplice",
                    "fr": "une clé doit être un simple mot"},
    "duplicate_key": {"en": "the key '{key}' appears twice", "it": "la chiave '{key}' compare due volte",
                      "fr": "la clé « {key} » apparaît deux fois"},
    "tag": {"en": "the YAML tag {tag} is not allowed", "it": "il tag YAML {tag} non è ammesso",
            "fr": "la balise YAML {tag} n'est pas autorisée"},
    "not_a_number": {"en": "not a finite number", "it": "non è un numero finito", "fr": "pas un nombre fini"},
    "not_a_mapping": {"en": "the file must be a mapping of keys (id, version, title, stages...)",
                      "it": "il file deve essere un insieme di chiavi (id, version, title, stages...)",
                      "fr": "le fichier doit être un ensemble de clés (id, version, title, stages...)"},
    "missing_key": {"en": "'{key}' is missing", "it": "manca '{key}'", "fr": "« {key} » manque"},
    "unknown_key": {"en": "unknown key '{key}' (allowed here: {allowed})",
                    "it": "chiave sconosciuta '{key}' (ammesse qui: {allowed})",
                    "fr": "clé inconnue « {key} » (autorisées ici : {allowed})"},
    "unknown_key_suggest": {"en": "unknown key '{key}' (did you mean '{suggestion}'?)",
                            "it": "chiave sconosciuta '{key}' (forse '{suggestion}'?)",
                            "fr": "clé inconnue « {key} » (vouliez-vous dire « {suggestion} » ?)"},
    "wrong_type": {"en": "expected {expected}, found {found}", "it": "atteso {expected}, trovato {found}",
                   "fr": "attendu {expected}, trouvé {found}"},
    "not_in_enum": {"en": "'{value}' is not one of: {allowed}", "it": "'{value}' non è tra: {allowed}",
                    "fr": "« {value} » ne fait pas partie de : {allowed}"},
    "bad_pattern": {"en": "'{value}' is not well formed. {hint}", "it": "'{value}' non è ben formato. {hint}",
                    "fr": "« {value} » n'est pas bien formé. {hint}"},
    "too_few": {"en": "needs at least {limit} element(s)", "it": "servono almeno {limit} elementi",
                "fr": "il faut au moins {limit} élément(s)"},
    "out_of_range": {"en": "'{value}' breaks the rule {rule}", "it": "'{value}' viola la regola {rule}",
                     "fr": "« {value} » enfreint la règle {rule}"},
    "not_unique": {"en": "the list has the same value twice", "it": "l'elenco contiene due volte lo stesso valore",
                   "fr": "la liste contient deux fois la même valeur"},
    "schema": {"en": "{reason}", "it": "{reason}", "fr": "{reason}"},
    "fragment_name": {"en": "the fragment id '{id}' must match the file name '{file}'",
                      "it": "l'id del frammento '{id}' deve corrispondere al nome del file '{file}'",
                      "fr": "l'identifiant du fragment « {id} » doit correspondre au nom du fichier « {file} »"},
    "unknown_fragment": {"en": "there are no shared stages '{fragment}' (known: {known})",
                         "it": "non esistono fasi condivise '{fragment}' (note: {known})",
                         "fr": "il n'y a pas d'étapes partagées « {fragment} » (connues : {known})"},
    "broken_fragment": {"en": "the shared stages '{fragment}' have errors; fix that file first",
                        "it": "le fasi condivise '{fragment}' contengono errori; correggi prima quel file",
                        "fr": "les étapes partagées « {fragment} » contiennent des erreurs ; corrigez d'abord ce fichier"},
    "fragment_next_missing": {"en": "the shared stages '{fragment}' continue with '$next', but nothing follows the include: add 'next: <stage>'",
                              "it": "le fasi condivise '{fragment}' proseguono con '$next', ma dopo l'include non c'è nulla: aggiungi 'next: <fase>'",
                              "fr": "les étapes partagées « {fragment} » continuent avec '$next', mais rien ne suit l'include : ajoutez 'next: <étape>'"},
    "missing_translation": {"en": "translation missing in: {languages}", "it": "traduzione mancante in: {languages}",
                            "fr": "traduction manquante en : {languages}"},
    "duplicate_role": {"en": "the role '{id}' is defined twice (or is a built-in role)",
                       "it": "il ruolo '{id}' è definito due volte (o è un ruolo predefinito)",
                       "fr": "le rôle « {id} » est défini deux fois (ou est un rôle prédéfini)"},
    "duplicate_outcome": {"en": "the outcome '{id}' is defined twice (or is a built-in outcome)",
                          "it": "l'esito '{id}' è definito due volte (o è un esito predefinito)",
                          "fr": "l'issue « {id} » est définie deux fois (ou est une issue prédéfinie)"},
    "group_range": {"en": "min_members is greater than max_members", "it": "min_members è maggiore di max_members",
                    "fr": "min_members est supérieur à max_members"},
    "duplicate_stage": {"en": "there is already a stage '{id}'", "it": "esiste già una fase '{id}'",
                        "fr": "il existe déjà une étape « {id} »"},
    "reserved_stage_id": {"en": "'{id}' is reserved for case facts; choose another stage id",
                          "it": "'{id}' è riservato ai dati della pratica; scegli un altro id",
                          "fr": "« {id} » est réservé aux données du dossier ; choisissez un autre identifiant"},
    "unknown_stage": {"en": "there is no stage '{stage}' (closest: {suggestion})",
                      "it": "non esiste la fase '{stage}' (la più simile: {suggestion})",
                      "fr": "il n'y a pas d'étape « {stage} » (la plus proche : {suggestion})"},
    "unknown_role": {"en": "unknown role '{role}' (known: {known}); declare it under 'roles'",
                     "it": "ruolo sconosciuto '{role}' (noti: {known}); dichiaralo in 'roles'",
                     "fr": "rôle inconnu « {role} » (connus : {known}) ; déclarez-le sous 'roles'"},
    "duplicate_requirement": {"en": "the stage already has a requirement '{id}' ('form' is the form's own id)",
                              "it": "la fase ha già un requisito '{id}' ('form' è l'id del modulo)",
                              "fr": "l'étape a déjà une exigence « {id} » ('form' est l'identifiant du formulaire)"},
    "duplicate_field": {"en": "the form already has a field '{id}'", "it": "il modulo ha già un campo '{id}'",
                        "fr": "le formulaire a déjà un champ « {id} »"},
    "distinct_no_form": {"en": "'form_submitter' needs a form in this stage",
                         "it": "'form_submitter' richiede un modulo in questa fase",
                         "fr": "'form_submitter' nécessite un formulaire dans cette étape"},
    "distinct_unknown_signoff": {"en": "there is no other sign-off '{id}' in this stage",
                                 "it": "non c'è un altro benestare '{id}' in questa fase",
                                 "fr": "il n'y a pas d'autre accord « {id} » dans cette étape"},
    "duplicate_exit": {"en": "the stage already has an exit '{id}'", "it": "la fase ha già un'uscita '{id}'",
                       "fr": "l'étape a déjà une sortie « {id} »"},
    "exit_target": {"en": "an exit leads to exactly one of 'to', 'pathway' or 'outcome' (found: {found})",
                    "it": "un'uscita porta a uno solo tra 'to', 'pathway' o 'outcome' (trovati: {found})",
                    "fr": "une sortie mène à exactement un de 'to', 'pathway' ou 'outcome' (trouvés : {found})"},
    "unknown_outcome": {"en": "unknown outcome '{outcome}' (known: {known}); declare it under 'outcomes'",
                        "it": "esito sconosciuto '{outcome}' (noti: {known}); dichiaralo in 'outcomes'",
                        "fr": "issue inconnue « {outcome} » (connues : {known}) ; déclarez-la sous 'outcomes'"},
    "exit_to_itself": {"en": "an exit cannot lead to the pathway it belongs to; use 'to' with a stage",
                       "it": "un'uscita non può portare al proprio percorso; usa 'to' con una fase",
                       "fr": "une sortie ne peut pas mener à son propre parcours ; utilisez 'to' avec une étape"},
    "unknown_pathway": {"en": "there is no pathway '{pathway}' (known: {known})",
                        "it": "non esiste il percorso '{pathway}' (noti: {known})",
                        "fr": "il n'y a pas de parcours « {pathway} » (connus : {known})"},
    "carry_without_pathway": {"en": "'carry' only makes sense on an exit to another pathway",
                              "it": "'carry' ha senso solo su un'uscita verso un altro percorso",
                              "fr": "'carry' n'a de sens que sur une sortie vers un autre parcours"},
    "unknown_requirement": {"en": "the stage has no requirement '{id}' (known: {known})",
                            "it": "la fase non ha il requisito '{id}' (noti: {known})",
                            "fr": "l'étape n'a pas d'exigence « {id} » (connues : {known})"},
    "options_missing": {"en": "the field '{field}' needs 'options'", "it": "il campo '{field}' richiede 'options'",
                        "fr": "le champ « {field} » nécessite 'options'"},
    "options_unexpected": {"en": "the field '{field}' is of type {type}: 'options' are only for choice and choices",
                           "it": "il campo '{field}' è di tipo {type}: 'options' vale solo per choice e choices",
                           "fr": "le champ « {field} » est de type {type} : 'options' ne vaut que pour choice et choices"},
    "key_for_type": {"en": "'{key}' does not apply to a field of type {type}",
                     "it": "'{key}' non si applica a un campo di tipo {type}",
                     "fr": "'{key}' ne s'applique pas à un champ de type {type}"},
    "bad_regex": {"en": "the pattern is not a valid regular expression: {reason}",
                  "it": "il pattern non è un'espressione regolare valida: {reason}",
                  "fr": "le motif n'est pas une expression régulière valide : {reason}"},
    "duplicate_option": {"en": "two options have the same value", "it": "due opzioni hanno lo stesso valore",
                         "fr": "deux options ont la même valeur"},
    "condition_shape": {"en": "a condition is exactly one of: all, any, not, or field with one comparison",
                        "it": "una condizione è esattamente uno tra: all, any, not, oppure field con un confronto",
                        "fr": "une condition est exactement l'un de : all, any, not, ou field avec une comparaison"},
    "condition_operator": {"en": "the comparison on '{field}' needs exactly one of: eq, ne, lt, lte, gt, gte, in, contains, exists",
                           "it": "il confronto su '{field}' richiede esattamente uno tra: eq, ne, lt, lte, gt, gte, in, contains, exists",
                           "fr": "la comparaison sur « {field} » nécessite exactement l'un de : eq, ne, lt, lte, gt, gte, in, contains, exists"},
    "condition_operator_without_field": {"en": "'{op}' compares a field: add 'field'",
                                         "it": "'{op}' confronta un campo: aggiungi 'field'",
                                         "fr": "'{op}' compare un champ : ajoutez 'field'"},
    "unknown_fact": {"en": "unknown case fact '{fact}' (known: {known})",
                     "it": "dato della pratica sconosciuto '{fact}' (noti: {known})",
                     "fr": "donnée de dossier inconnue « {fact} » (connues : {known})"},
    "unknown_field": {"en": "there is no form field '{field}' (closest: {suggestion}); write <stage>.<field> or case.<fact>",
                      "it": "non esiste il campo '{field}' (il più simile: {suggestion}); scrivi <fase>.<campo> o case.<dato>",
                      "fr": "il n'y a pas de champ « {field} » (le plus proche : {suggestion}) ; écrivez <étape>.<champ> ou case.<donnée>"},
    "condition_type": {"en": "'{op}' cannot compare '{field}', which is {type}",
                       "it": "'{op}' non può confrontare '{field}', che è di tipo {type}",
                       "fr": "'{op}' ne peut pas comparer « {field} », qui est de type {type}"},
    "condition_value": {"en": "'{field}' is {type}; '{value}' can never match",
                        "it": "'{field}' è di tipo {type}; '{value}' non può mai corrispondere",
                        "fr": "« {field} » est de type {type} ; « {value} » ne peut jamais correspondre"},
    "condition_option": {"en": "'{value}' is not an option of '{field}' (options: {known})",
                         "it": "'{value}' non è un'opzione di '{field}' (opzioni: {known})",
                         "fr": "« {value} » n'est pas une option de « {field} » (options : {known})"},
    "unreachable_stage": {"en": "the stage '{stage}' can never be reached from the start",
                          "it": "la fase '{stage}' non è mai raggiungibile dall'inizio",
                          "fr": "l'étape « {stage} » ne peut jamais être atteinte depuis le début"},
    "no_way_out": {"en": "from the stage '{stage}' no outcome can ever be reached",
                   "it": "dalla fase '{stage}' non si può mai arrivare a un esito",
                   "fr": "depuis l'étape « {stage} » aucune issue ne peut jamais être atteinte"},
    "unknown_assessment": {"en": "there is no assessment '{assessment}' (known: {known})",
                           "it": "non esiste la valutazione '{assessment}' (note: {known})",
                           "fr": "il n'y a pas d'évaluation « {assessment} » (connues : {known})"},
    "duplicate_dimension": {"en": "there is already a dimension '{id}'", "it": "esiste già una dimensione '{id}'",
                            "fr": "il existe déjà une dimension « {id} »"},
    "unknown_area": {"en": "there is no area '{area}' (declare it under 'areas')",
                     "it": "non esiste l'area '{area}' (dichiarala in 'areas')",
                     "fr": "il n'y a pas de domaine « {area} » (déclarez-le sous 'areas')"},
    "duplicate_question": {"en": "there is already a question '{id}'", "it": "esiste già una domanda '{id}'",
                           "fr": "il existe déjà une question « {id} »"},
    "unknown_dimension": {"en": "there is no dimension '{dimension}'", "it": "non esiste la dimensione '{dimension}'",
                          "fr": "il n'y a pas de dimension « {dimension} »"},
    "dimension_unscored": {"en": "no question scores the dimension '{dimension}'",
                           "it": "nessuna domanda assegna punti alla dimensione '{dimension}'",
                           "fr": "aucune question ne note la dimension « {dimension} »"},
    "rule_target": {"en": "a rule recommends exactly one of 'pathway' or 'supply_chain'",
                    "it": "una regola raccomanda esattamente uno tra 'pathway' e 'supply_chain'",
                    "fr": "une règle recommande exactement l'un de 'pathway' ou 'supply_chain'"},
    "rule_pathway_unranked": {"en": "the pathway '{pathway}' is not listed under 'pathways'",
                              "it": "il percorso '{pathway}' non è elencato in 'pathways'",
                              "fr": "le parcours « {pathway} » ne figure pas sous 'pathways'"},
    "assessment_name": {"en": "the assessment id '{id}' must match the file name '{file}'",
                        "it": "l'id della valutazione '{id}' deve corrispondere al nome del file '{file}'",
                        "fr": "l'identifiant de l'évaluation « {id} » doit correspondre au nom du fichier « {file} »"},
    "duplicate_pathway": {"en": "another file ({other}) also defines the pathway '{id}'",
                          "it": "anche un altro file ({other}) definisce il percorso '{id}'",
                          "fr": "un autre fichier ({other}) définit aussi le parcours « {id} »"},
    "pathway_name": {"en": "the pathway id '{id}' must match the file name '{file}'",
                     "it": "l'id del percorso '{id}' deve corrispondere al nome del file '{file}'",
                     "fr": "l'identifiant du parcours « {id} » doit correspondre au nom du fichier « {file} »"},
}
MESSAGES.update({"problem." + code: texts for code, texts in _PROBLEMS.items()})
MESSAGES.update({
    "condition.exists": {"en": "{field} is filled in", "it": "{field} è compilato", "fr": "{field} est renseigné"},
    "condition.absent": {"en": "{field} is empty", "it": "{field} è vuoto", "fr": "{field} est vide"},
})

# --- changes between two revisions of a pathway --------------------------------------------------------
_CHANGES: dict[str, dict[str, str]] = {
    "version_changed": {"en": "version {before} → {after}", "it": "versione {before} → {after}", "fr": "version {before} → {after}"},
    "title_changed": {"en": "title changed: {before} → {after}", "it": "titolo cambiato: {before} → {after}", "fr": "titre modifié : {before} → {after}"},
    "role_added": {"en": "role '{item}' added", "it": "ruolo '{item}' aggiunto", "fr": "rôle « {item} » ajouté"},
    "role_removed": {"en": "role '{item}' removed", "it": "ruolo '{item}' rimosso", "fr": "rôle « {item} » supprimé"},
    "start_changed": {"en": "the pathway now starts at '{after}' (was '{before}')", "it": "il percorso ora inizia da '{after}' (era '{before}')", "fr": "le parcours commence maintenant à « {after} » (était « {before} »)"},
    "stage_added": {"en": "stage '{stage}' added ({after})", "it": "fase '{stage}' aggiunta ({after})", "fr": "étape « {stage} » ajoutée ({after})"},
    "stage_removed": {"en": "stage '{stage}' removed ({before})", "it": "fase '{stage}' rimossa ({before})", "fr": "étape « {stage} » supprimée ({before})"},
    "stages_reordered": {"en": "stages reordered", "it": "fasi riordinate", "fr": "étapes réordonnées"},
    "stage_title_changed": {"en": "stage '{stage}' renamed: {before} → {after}", "it": "fase '{stage}' rinominata: {before} → {after}", "fr": "étape « {stage} » renommée : {before} → {after}"},
    "guidance_changed": {"en": "guidance of stage '{stage}' changed", "it": "indicazioni della fase '{stage}' cambiate", "fr": "conseils de l'étape « {stage} » modifiés"},
    "due_days_changed": {"en": "stage '{stage}': due in {after} days (was {before})", "it": "fase '{stage}': scadenza {after} giorni (era {before})", "fr": "étape « {stage} » : échéance {after} jours (était {before})"},
    "requirement_added": {"en": "stage '{stage}': {kind} '{item}' added", "it": "fase '{stage}': {kind} '{item}' aggiunto", "fr": "étape « {stage} » : {kind} « {item} » ajouté"},
    "requirement_removed": {"en": "stage '{stage}': {kind} '{item}' removed", "it": "fase '{stage}': {kind} '{item}' rimosso", "fr": "étape « {stage} » : {kind} « {item} » supprimé"},
    "requirement_changed": {"en": "stage '{stage}': {kind} '{item}' changed", "it": "fase '{stage}': {kind} '{item}' modificato", "fr": "étape « {stage} » : {kind} « {item} » modifié"},
    "requirement_kind_changed": {"en": "stage '{stage}': '{item}' is now a {after} (was a {before})", "it": "fase '{stage}': '{item}' ora è {after} (era {before})", "fr": "étape « {stage} » : « {item} » est maintenant {after} (était {before})"},
    "requirement_optionality_changed": {"en": "stage '{stage}': '{item}' required: {before} → {after}", "it": "fase '{stage}': '{item}' obbligatorio: {before} → {after}", "fr": "étape « {stage} » : « {item} » obligatoire : {before} → {after}"},
    "field_added": {"en": "stage '{stage}': form field '{item}' added", "it": "fase '{stage}': campo '{item}' aggiunto al modulo", "fr": "étape « {stage} » : champ « {item} » ajouté au formulaire"},
    "field_removed": {"en": "stage '{stage}': form field '{item}' removed", "it": "fase '{stage}': campo '{item}' rimosso dal modulo", "fr": "étape « {stage} » : champ « {item} » retiré du formulaire"},
    "field_changed": {"en": "stage '{stage}': form field '{item}' changed", "it": "fase '{stage}': campo '{item}' modificato", "fr": "étape « {stage} » : champ « {item} » modifié"},
    "exit_added": {"en": "stage '{stage}': exit '{item}' added (→ {after})", "it": "fase '{stage}': uscita '{item}' aggiunta (→ {after})", "fr": "étape « {stage} » : sortie « {item} » ajoutée (→ {after})"},
    "exit_removed": {"en": "stage '{stage}': exit '{item}' removed (was → {before})", "it": "fase '{stage}': uscita '{item}' rimossa (era → {before})", "fr": "étape « {stage} » : sortie « {item} » supprimée (était → {before})"},
    "exit_target_changed": {"en": "stage '{stage}': exit '{item}' now leads to {after} (was {before})", "it": "fase '{stage}': l'uscita '{item}' ora porta a {after} (era {before})", "fr": "étape « {stage} » : la sortie « {item} » mène maintenant à {after} (était {before})"},
    "exit_condition_changed": {"en": "stage '{stage}': condition of exit '{item}' changed: {before} → {after}", "it": "fase '{stage}': condizione dell'uscita '{item}' cambiata: {before} → {after}", "fr": "étape « {stage} » : condition de la sortie « {item} » modifiée : {before} → {after}"},
    "exit_requires_changed": {"en": "stage '{stage}': exit '{item}' requires {after} (was {before})", "it": "fase '{stage}': l'uscita '{item}' richiede {after} (era {before})", "fr": "étape « {stage} » : la sortie « {item} » exige {after} (était {before})"},
    "exit_label_changed": {"en": "stage '{stage}': exit '{item}' relabelled", "it": "fase '{stage}': etichetta dell'uscita '{item}' cambiata", "fr": "étape « {stage} » : libellé de la sortie « {item} » modifié"},
    "exit_carry_changed": {"en": "stage '{stage}': exit '{item}' carries {after} (was {before})", "it": "fase '{stage}': l'uscita '{item}' porta con sé {after} (era {before})", "fr": "étape « {stage} » : la sortie « {item} » emporte {after} (était {before})"},
}
MESSAGES.update({"change." + code: texts for code, texts in _CHANGES.items()})
MESSAGES.update({
    "migration.closed": {"en": "the case is closed", "it": "la pratica è chiusa", "fr": "le dossier est clos"},
    "migration.other_pathway": {"en": "the target revision belongs to another pathway", "it": "la revisione di destinazione è di un altro percorso", "fr": "la révision cible appartient à un autre parcours"},
    "migration.same_revision": {"en": "the case is already on this revision", "it": "la pratica è già su questa revisione", "fr": "le dossier est déjà sur cette révision"},
    "migration.unmapped": {"en": "the stage '{stage}' no longer exists: choose the stage to move the case to", "it": "la fase '{stage}' non esiste più: scegli la fase in cui spostare la pratica", "fr": "l'étape « {stage} » n'existe plus : choisissez l'étape où placer le dossier"},
    "migration.unknown_target": {"en": "the new revision has no stage '{stage}'", "it": "la nuova revisione non ha la fase '{stage}'", "fr": "la nouvelle révision n'a pas d'étape « {stage} »"},
    "migration_refused": {"en": "This case cannot be migrated: {reason}.", "it": "Questa pratica non può essere migrata: {reason}.", "fr": "Ce dossier ne peut pas être migré : {reason}."},
    "not_allowed.designer": {"en": "only methodology designers and administrators migrate cases.", "it": "solo i progettisti della metodologia e gli amministratori migrano le pratiche.", "fr": "seuls les concepteurs de la méthodologie et les administrateurs migrent les dossiers."},
})
MESSAGES.update({
    # --- workers' optional details (sex, year of birth) --------------------------------------------
    "member_sex_invalid": {
        "en": "The sex of {member} must be female, male or other (or left empty), not '{sex}'.",
        "it": "Il sesso di {member} deve essere femmina, maschio o altro (oppure vuoto), non '{sex}'.",
        "fr": "Le sexe de {member} doit être femme, homme ou autre (ou rester vide), pas « {sex} ».",
    },
    "member_birth_year_invalid": {
        "en": "The year of birth of {member} must be between {min} and {max} (or left empty), not {year}.",
        "it": "L'anno di nascita di {member} deve essere compreso tra {min} e {max} (oppure vuoto), non {year}.",
        "fr": "L'année de naissance de {member} doit être comprise entre {min} et {max} (ou rester vide), pas {year}.",
    },
})
MESSAGES.update({
    # --- a re-assessment and the assessment it is compared with (`compares_to`) -------------------
    "problem.compares_to_itself": {
        "en": "the assessment '{assessment}' cannot be compared with itself: name the assessment it follows up (e.g. the intake)",
        "it": "la valutazione '{assessment}' non può essere confrontata con sé stessa: indica la valutazione che riprende (per esempio quella di accoglienza)",
        "fr": "l'évaluation « {assessment} » ne peut pas être comparée à elle-même : indiquez l'évaluation qu'elle reprend (par exemple celle de l'accueil)",
    },
})
