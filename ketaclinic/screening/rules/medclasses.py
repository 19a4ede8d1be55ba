"""Medication classes that matter for ketamine and esketamine, found from a drug's name through its
ATC code, pure (no Django).

The SPRAVATO REMS monitoring form asks for benzodiazepines, non-benzodiazepine sedative-hypnotics
(z-drugs), psychostimulants, MAOIs, opioids, and other drugs causing sedation, respiratory depression
or blood-pressure change (shared/domain/clinical.md section 12). A class is *suggested* here from the
name and confirmed by a clinician on the medication list; a name the table does not know suggests
nothing (never "not a benzodiazepine").

ATC codes: WHO Collaborating Centre for Drug Statistics Methodology, ATC/DDD Index (atcddd.fhi.no),
class prefixes as clinical.md section 12 lists them (N05BA/N05CD benzodiazepines, N05CF z-drugs,
N06BA stimulants, N06AF/N06AG MAOIs, N02A opioids). Codes outside those prefixes (clonazepam N03AE01,
methadone N07BC02, selegiline N04BD01, the "other" classes) are from the same index and are
**unverified** against its current edition: the table is data, so a clinic can correct it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class MedClass(enum.StrEnum):
    BENZODIAZEPINE = "benzodiazepine"
    Z_DRUG = "z_drug"
    PSYCHOSTIMULANT = "psychostimulant"
    MAOI = "maoi"
    OPIOID = "opioid"
    OTHER_SEDATING = "other_sedating"
    BP_RAISING = "bp_raising"
    ATTENUATING = "attenuating"


CLASS_LABELS = {
    MedClass.BENZODIAZEPINE: "Benzodiazepine",
    MedClass.Z_DRUG: "Non-benzodiazepine sedative-hypnotic (z-drug)",
    MedClass.PSYCHOSTIMULANT: "Psychostimulant",
    MedClass.MAOI: "Monoamine oxidase inhibitor (MAOI)",
    MedClass.OPIOID: "Opioid",
    MedClass.OTHER_SEDATING: "Other drug causing sedation or respiratory depression",
    MedClass.BP_RAISING: "Drug that can raise blood pressure",
    MedClass.ATTENUATING: "May blunt ketamine's effect",
}

# Why each class matters at the chair (esketamine PI 7, drug interactions; clinical.md §2 and §12).
CLASS_REASONS = {
    MedClass.BENZODIAZEPINE: "CNS depressants increase sedation (esketamine PI 7.1).",
    MedClass.Z_DRUG: "CNS depressants increase sedation (esketamine PI 7.1).",
    MedClass.PSYCHOSTIMULANT: "Psychostimulants may raise blood pressure (esketamine PI 7.2).",
    MedClass.MAOI: "MAOIs may raise blood pressure (esketamine PI 7.3).",
    MedClass.OPIOID: "CNS depressants increase sedation and respiratory depression (PI 7.1).",
    MedClass.OTHER_SEDATING: "Sedating drugs add to ketamine's sedation (esketamine PI 7.1).",
    MedClass.BP_RAISING: "Sympathomimetics may raise blood pressure (esketamine PI 7.2).",
    MedClass.ATTENUATING: "Lamotrigine reduced ketamine's effects in healthy volunteers "
    "(Anand et al., Arch Gen Psychiatry 2000;57:270; unverified in shared/domain).",
}

# ATC prefix -> class, longest prefix first when looked up.
ATC_CLASSES: dict[str, MedClass] = {
    "N05BA": MedClass.BENZODIAZEPINE,
    "N05CD": MedClass.BENZODIAZEPINE,
    "N03AE": MedClass.BENZODIAZEPINE,  # clonazepam (benzodiazepine derivative antiepileptic)
    "N05CF": MedClass.Z_DRUG,
    "N06BA": MedClass.PSYCHOSTIMULANT,
    "N06AF": MedClass.MAOI,
    "N06AG": MedClass.MAOI,
    "N04BD": MedClass.MAOI,  # selegiline, rasagiline (MAO-B inhibitors)
    "N02A": MedClass.OPIOID,
    "N07BC": MedClass.OPIOID,  # methadone, buprenorphine for opioid dependence
    "R05DA": MedClass.OPIOID,  # codeine, hydrocodone as antitussives
    "N03AX12": MedClass.OTHER_SEDATING,  # gabapentin
    "N03AX16": MedClass.OTHER_SEDATING,  # pregabalin
    "N05AH": MedClass.OTHER_SEDATING,  # quetiapine, olanzapine, clozapine
    "N05BB": MedClass.OTHER_SEDATING,  # hydroxyzine
    "N05CM": MedClass.OTHER_SEDATING,  # other hypnotics and sedatives
    "R06AA": MedClass.OTHER_SEDATING,  # diphenhydramine, doxylamine
    "R06AD": MedClass.OTHER_SEDATING,  # promethazine
    "N06AX05": MedClass.OTHER_SEDATING,  # trazodone
    "N06AX11": MedClass.OTHER_SEDATING,  # mirtazapine
    "R01BA": MedClass.BP_RAISING,  # pseudoephedrine, phenylephrine (systemic decongestants)
    "C01CA": MedClass.BP_RAISING,  # midodrine and other adrenergic agonists
    "N03AX09": MedClass.ATTENUATING,  # lamotrigine
}

# Generic and common brand names -> ATC code. Lower case; matched as whole words.
NAME_ATC: dict[str, str] = {
    # benzodiazepines
    "diazepam": "N05BA01", "valium": "N05BA01",
    "chlordiazepoxide": "N05BA02", "librium": "N05BA02",
    "oxazepam": "N05BA04",
    "clorazepate": "N05BA05", "tranxene": "N05BA05",
    "lorazepam": "N05BA06", "ativan": "N05BA06",
    "bromazepam": "N05BA08",
    "clobazam": "N05BA09", "onfi": "N05BA09",
    "alprazolam": "N05BA12", "xanax": "N05BA12",
    "flurazepam": "N05CD01",
    "nitrazepam": "N05CD02",
    "estazolam": "N05CD04",
    "triazolam": "N05CD05", "halcion": "N05CD05",
    "temazepam": "N05CD07", "restoril": "N05CD07",
    "midazolam": "N05CD08",
    "clonazepam": "N03AE01", "klonopin": "N03AE01",
    # z-drugs
    "zopiclone": "N05CF01",
    "zolpidem": "N05CF02", "ambien": "N05CF02",
    "zaleplon": "N05CF03", "sonata": "N05CF03",
    "eszopiclone": "N05CF04", "lunesta": "N05CF04",
    # psychostimulants
    "amphetamine": "N06BA01", "amfetamine": "N06BA01", "adderall": "N06BA01",
    "dextroamphetamine": "N06BA02", "dexamfetamine": "N06BA02",
    "methylphenidate": "N06BA04", "ritalin": "N06BA04", "concerta": "N06BA04",
    "modafinil": "N06BA07", "provigil": "N06BA07",
    "atomoxetine": "N06BA09", "strattera": "N06BA09",
    "dexmethylphenidate": "N06BA11", "focalin": "N06BA11",
    "lisdexamfetamine": "N06BA12", "vyvanse": "N06BA12",
    "armodafinil": "N06BA13", "nuvigil": "N06BA13",
    "solriamfetol": "N06BA14",
    # MAOIs
    "isocarboxazid": "N06AF01", "marplan": "N06AF01",
    "phenelzine": "N06AF03", "nardil": "N06AF03",
    "tranylcypromine": "N06AF04", "parnate": "N06AF04",
    "moclobemide": "N06AG02",
    "selegiline": "N04BD01", "emsam": "N04BD01",
    "rasagiline": "N04BD02",
    # opioids
    "morphine": "N02AA01",
    "hydromorphone": "N02AA03", "dilaudid": "N02AA03",
    "oxycodone": "N02AA05", "oxycontin": "N02AA05", "percocet": "N02AA05",
    "pethidine": "N02AB02", "meperidine": "N02AB02",
    "fentanyl": "N02AB03",
    "buprenorphine": "N02AE01", "suboxone": "N07BC51",
    "tramadol": "N02AX02",
    "tapentadol": "N02AX06",
    "methadone": "N07BC02",
    "codeine": "R05DA04",
    "hydrocodone": "R05DA03",
    # other sedating
    "gabapentin": "N03AX12", "neurontin": "N03AX12",
    "pregabalin": "N03AX16", "lyrica": "N03AX16",
    "clozapine": "N05AH02",
    "olanzapine": "N05AH03",
    "quetiapine": "N05AH04", "seroquel": "N05AH04",
    "hydroxyzine": "N05BB01",
    "diphenhydramine": "R06AA02",
    "doxylamine": "R06AA09",
    "promethazine": "R06AD02",
    "trazodone": "N06AX05",
    "mirtazapine": "N06AX11",
    # blood pressure
    "pseudoephedrine": "R01BA02", "sudafed": "R01BA02",
    "phenylephrine": "R01BA03",
    "midodrine": "C01CA17",
    # attenuating
    "lamotrigine": "N03AX09", "lamictal": "N03AX09",
}  # fmt: skip

_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Suggestion:
    med_class: MedClass
    atc_code: str
    matched: str  # the word of the name that matched

    @property
    def label(self) -> str:
        return CLASS_LABELS[self.med_class]

    @property
    def reason(self) -> str:
        return CLASS_REASONS[self.med_class]


def class_for_atc(code: str) -> MedClass | None:
    """The class of an ATC code (its longest listed prefix), or None."""
    code = code.strip().upper()
    for length in range(len(code), 0, -1):
        found = ATC_CLASSES.get(code[:length])
        if found is not None:
            return found
    return None


def suggest(name: str) -> list[Suggestion]:
    """The classes a drug's name suggests, one per class, in the order the words appear
    ("Lorazepam 1 mg tablet" -> benzodiazepine, N05BA06). Unknown names suggest nothing."""
    found: dict[MedClass, Suggestion] = {}
    for word in _WORD.findall(name.lower()):
        code = NAME_ATC.get(word)
        if code is None:
            continue
        med_class = class_for_atc(code)
        if med_class is not None and med_class not in found:
            found[med_class] = Suggestion(med_class, code, word)
    return list(found.values())


# The REMS monitoring form's flags (patients.Medication.rems_flags labels) for each class.
REMS_FLAG_CLASSES = {
    "benzodiazepine": MedClass.BENZODIAZEPINE,
    "non-benzodiazepine sedative-hypnotic": MedClass.Z_DRUG,
    "psychostimulant": MedClass.PSYCHOSTIMULANT,
    "MAOI": MedClass.MAOI,
    "opioid": MedClass.OPIOID,
}
