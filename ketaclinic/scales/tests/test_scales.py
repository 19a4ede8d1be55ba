"""Scale by scale: item ranges, subscores, flags and missing items."""

from __future__ import annotations

import pytest

from ketaclinic.scales import ScaleInputError, get_definition, score


def _with(code: str, changes: dict[str, int | None], base: int | None = None) -> list[int | None]:
    definition = get_definition(code)
    answers: list[int | None] = [item.min if base is None else base for item in definition.items]
    for item_id, value in changes.items():
        answers[definition.position(item_id)] = value
    return answers


# ----------------------------------------------------------------------------- PHQ-9


def test_phq9_sums_its_items() -> None:
    assert score("phq9", [0, 1, 2, 3, 0, 1, 2, 3, 0]) == (12, "moderate", {}, ())


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_phq9_flags_suicidal_ideation_when_item_9_is_above_0(item9: int) -> None:
    assert score("phq9", [0] * 8 + [item9]).flags == ("suicidal_ideation",)


def test_phq9_does_not_flag_suicidal_ideation_when_item_9_is_0() -> None:
    assert score("phq9", [3] * 8 + [0]).flags == ()


def test_phq9_with_a_missing_item_has_no_total_and_is_flagged_incomplete() -> None:
    assert score("phq9", [3, None, 3, 3, 3, 3, 3, 3, 0]) == (None, None, {}, ("incomplete",))


def test_phq9_still_flags_item_9_when_another_item_is_missing() -> None:
    result = score("phq9", [None] * 8 + [2])
    assert result.total is None
    assert result.flags == ("suicidal_ideation", "incomplete")


# ----------------------------------------------------------------------------- GAD-7


def test_gad7_flags_further_evaluation_from_10() -> None:
    assert score("gad7", [3, 3, 3, 0, 0, 0, 0]).flags == ()
    assert score("gad7", [3, 3, 3, 1, 0, 0, 0]).flags == ("further_evaluation",)


def test_gad7_refuses_an_item_above_3() -> None:
    with pytest.raises(ScaleInputError, match=r"gad7 item 7: 4 is outside .* 0-3"):
        score("gad7", [0] * 6 + [4])


# ----------------------------------------------------------------------------- MADRS


def test_madrs_items_range_from_0_to_6() -> None:
    assert score("madrs", [6] * 9 + [0]).total == 54
    with pytest.raises(ScaleInputError, match=r"madrs item 1: 7 is outside .* 0-6"):
        score("madrs", [7] + [0] * 9)


def test_madrs_flags_a_positive_suicidal_thoughts_item() -> None:
    assert score("madrs", [0] * 9 + [1]).flags == ("suicidal_ideation",)
    assert score("madrs", [6] * 9 + [0]).flags == ()


# ----------------------------------------------------------------------------- QIDS-SR16


def test_qids_scores_the_highest_sleep_appetite_and_psychomotor_item() -> None:
    answers = _with(
        "qids_sr16",
        {"1": 1, "2": 3, "3": 2, "4": 0, "5": 2, "6": 1, "7": 0, "8": 2, "9": 1, "10": 1,
         "11": 0, "12": 0, "13": 3, "14": 2, "15": 1, "16": 2},
    )  # fmt: skip
    result = score("qids_sr16", answers)
    assert result.subscores == {
        "sleep": 3,
        "sad_mood": 2,
        "appetite_weight": 2,
        "concentration": 1,
        "self_view": 0,
        "suicidal_ideation": 0,
        "interest": 3,
        "energy": 2,
        "psychomotor": 2,
    }
    assert result.total == 15
    assert result.band == "moderate"


def test_qids_with_a_missing_sleep_item_keeps_the_other_domains() -> None:
    result = score("qids_sr16", _with("qids_sr16", {"2": None, "5": 3}))
    assert result.total is None
    assert result.subscores["sleep"] is None
    assert result.subscores["sad_mood"] == 3
    assert result.flags == ("incomplete",)


def test_qids_flags_a_positive_suicidal_ideation_item() -> None:
    assert score("qids_sr16", _with("qids_sr16", {"12": 1})).flags == ("suicidal_ideation",)


# ----------------------------------------------------------------------------- HAM-D17

HAMD_TWO = ["4", "5", "6", "12", "13", "14", "16", "17"]
HAMD_FOUR = ["1", "2", "3", "7", "8", "9", "10", "11", "15"]


@pytest.mark.parametrize("item_id", HAMD_TWO)
def test_hamd17_refuses_3_on_an_item_scored_0_to_2(item_id: str) -> None:
    assert score("hamd17", _with("hamd17", {item_id: 2})).total == 2
    with pytest.raises(ScaleInputError, match=rf"hamd17 item {item_id}: 3 is outside .* 0-2$"):
        score("hamd17", _with("hamd17", {item_id: 3}))


@pytest.mark.parametrize("item_id", HAMD_FOUR)
def test_hamd17_accepts_4_on_an_item_scored_0_to_4(item_id: str) -> None:
    assert score("hamd17", _with("hamd17", {item_id: 4})).total == 4
    with pytest.raises(ScaleInputError, match=rf"hamd17 item {item_id}: 5 is outside .* 0-4$"):
        score("hamd17", _with("hamd17", {item_id: 5}))


def test_hamd17_maximum_is_52() -> None:
    answers = [get_definition("hamd17").item(str(n)).max for n in range(1, 18)]
    assert score("hamd17", answers).total == 52


def test_hamd17_flags_a_positive_suicide_item() -> None:
    assert score("hamd17", _with("hamd17", {"3": 1})).flags == ("suicidal_ideation",)


# ----------------------------------------------------------------------------- PCL-5


def test_pcl5_gives_cluster_subscores() -> None:
    answers = [1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4]
    result = score("pcl5", answers)
    assert result.subscores == {"B": 5, "C": 4, "D": 21, "E": 24}
    assert result.total == 54
    assert result.band is None


def _pcl(endorsed: dict[str, int]) -> list[int | None]:
    """Answers where the given number of items of each cluster are rated 2, the rest 1."""
    answers: list[int | None] = [1] * 20
    starts = {"B": 0, "C": 5, "D": 7, "E": 14}
    for cluster, count in endorsed.items():
        for offset in range(count):
            answers[starts[cluster] + offset] = 2
    return answers


def test_pcl5_flags_dsm5_criteria_when_every_cluster_rule_holds() -> None:
    assert "dsm5_criteria_met" in score("pcl5", _pcl({"B": 1, "C": 1, "D": 2, "E": 2})).flags


@pytest.mark.parametrize(
    "short",
    [{"B": 0, "C": 1, "D": 2, "E": 2}, {"B": 1, "C": 0, "D": 2, "E": 2},
     {"B": 1, "C": 1, "D": 1, "E": 2}, {"B": 1, "C": 1, "D": 2, "E": 1}],
)  # fmt: skip
def test_pcl5_does_not_flag_dsm5_criteria_when_one_cluster_falls_short(
    short: dict[str, int],
) -> None:
    assert "dsm5_criteria_met" not in score("pcl5", _pcl(short)).flags


def test_pcl5_counts_only_items_rated_2_or_more_as_endorsed() -> None:
    assert "dsm5_criteria_met" not in score("pcl5", [1] * 20).flags


def test_pcl5_flags_the_total_cut_off_from_33() -> None:
    assert "above_cutoff" not in score("pcl5", [4] * 8 + [0] * 12).flags
    assert "above_cutoff" in score("pcl5", [4] * 8 + [1] + [0] * 11).flags


def test_pcl5_flags_dsm5_criteria_already_met_when_an_item_is_missing() -> None:
    answers = _pcl({"B": 1, "C": 1, "D": 2, "E": 2})
    answers[19] = None
    result = score("pcl5", answers)
    assert result.total is None
    assert result.subscores["E"] is None
    assert result.subscores["B"] == 6
    assert result.flags == ("dsm5_criteria_met", "incomplete")


# ----------------------------------------------------------------------------- Y-BOCS


def test_ybocs_splits_obsessions_and_compulsions() -> None:
    result = score("ybocs", [4, 4, 4, 4, 4, 1, 1, 1, 1, 0])
    assert result.subscores == {"obsessions": 20, "compulsions": 4}
    assert (result.total, result.band) == (24, "severe")


def test_ybocs_with_a_missing_compulsion_keeps_the_obsession_subscore() -> None:
    result = score("ybocs", [2] * 9 + [None])
    assert result == (None, None, {"obsessions": 10, "compulsions": None}, ("incomplete",))


# ----------------------------------------------------------------------------- C-SSRS

NO = 0
YES = 1


def _cssrs(**yes: int | None) -> list[int | None]:
    answers: dict[str, int | None] = {"1": NO, "2": NO, "3": None, "4": None, "5": None}
    answers |= {"6": NO, "6b": None}
    answers |= {key.replace("q", "").replace("_", ""): value for key, value in yes.items()}
    return [answers[i] for i in ("1", "2", "3", "4", "5", "6", "6b")]


def test_cssrs_all_no_is_no_risk() -> None:
    assert score("cssrs_screener", _cssrs()) == (0, "none", {}, ("risk_none",))


def test_cssrs_wish_to_be_dead_is_low_risk_with_suicidal_ideation() -> None:
    assert score("cssrs_screener", _cssrs(q1=YES)) == (
        1,
        "low",
        {},
        ("suicidal_ideation", "risk_low"),
    )


def test_cssrs_thoughts_with_method_are_moderate_risk_for_review_before_dosing() -> None:
    result = score("cssrs_screener", _cssrs(q1=YES, q2=YES, q3=YES, q4=NO, q5=NO))
    assert (result.total, result.band) == (2, "moderate")
    assert result.flags == ("suicidal_ideation", "risk_moderate", "review_before_dosing")


@pytest.mark.parametrize("item", ["q4", "q5"])
def test_cssrs_intent_or_plan_is_high_risk(item: str) -> None:
    answers = _cssrs(q2=YES, q3=NO, q4=NO, q5=NO)
    answers[int(item[1]) - 1] = YES
    result = score("cssrs_screener", answers)
    assert result.band == "high"
    assert "risk_high" in result.flags and "review_before_dosing" in result.flags


def test_cssrs_recent_behaviour_is_high_risk_and_older_behaviour_moderate() -> None:
    recent = score("cssrs_screener", _cssrs(q6=YES, q6b=YES))
    older = score("cssrs_screener", _cssrs(q6=YES, q6b=NO))
    assert (recent.band, older.band) == ("high", "moderate")
    assert recent.flags == ("suicidal_behaviour", "risk_high", "review_before_dosing")


def test_cssrs_items_3_to_5_are_not_missing_when_item_2_is_no() -> None:
    assert score("cssrs_screener", _cssrs(q2=NO)).total == 0


def test_cssrs_items_3_to_5_are_missing_when_item_2_is_yes_and_they_are_blank() -> None:
    result = score("cssrs_screener", _cssrs(q2=YES))
    assert result == (None, None, {}, ("suicidal_ideation", "risk_low", "incomplete"))


def test_cssrs_incomplete_still_flags_the_risk_already_shown() -> None:
    result = score("cssrs_screener", _cssrs(q2=YES, q4=YES))
    assert result.total is None
    assert result.flags == ("suicidal_ideation", "risk_high", "review_before_dosing", "incomplete")


def test_cssrs_incomplete_without_any_yes_has_no_risk_flag() -> None:
    assert score("cssrs_screener", _cssrs(q1=None)).flags == ("incomplete",)


def test_cssrs_refuses_2_for_a_yes_no_item() -> None:
    with pytest.raises(
        ScaleInputError, match=r"cssrs_screener item 6b: 2 is outside .*0-1 \(0 = no"
    ):
        score("cssrs_screener", _cssrs(q6=YES, q6b=2))


# ----------------------------------------------------------------------------- BPI-SF


def test_bpi_total_is_the_mean_severity_and_interference_is_the_mean_of_seven() -> None:
    result = score("bpi_sf", [8, 2, 5, 5, 1, 2, 3, 4, 5, 6, 7])
    assert result.total == 5.0
    assert result.subscores == {"severity": 5.0, "interference": 4.0, "worst": 8}
    assert result.band == "severe"


def test_bpi_refuses_11() -> None:
    with pytest.raises(ScaleInputError, match=r"bpi_sf item enjoyment: 11 is outside .* 0-10"):
        score("bpi_sf", [0] * 10 + [11])


def test_bpi_missing_interference_item_keeps_the_severity_subscore() -> None:
    result = score("bpi_sf", [4, 2, 3, 3] + [None] + [1] * 6)
    assert result == (
        None,
        None,
        {"severity": 3.0, "interference": None, "worst": 4},
        ("incomplete",),
    )


# ----------------------------------------------------------------------------- single ratings


@pytest.mark.parametrize(
    ("code", "low", "high"),
    [("nrs_pain", 0, 10), ("moaas", 0, 5), ("cgi_s", 1, 7), ("cgi_i", 1, 7)],
)
def test_single_ratings_accept_their_range_and_refuse_one_beyond(
    code: str, low: int, high: int
) -> None:
    assert score(code, [low]).total == low
    assert score(code, [high]).total == high
    for bad in (low - 1, high + 1):
        with pytest.raises(
            ScaleInputError, match=rf"{code} item 1: {bad} is outside .* {low}-{high}"
        ):
            score(code, [bad])


@pytest.mark.parametrize("code", ["nrs_pain", "moaas", "cgi_s", "cgi_i"])
def test_a_missing_single_rating_is_incomplete(code: str) -> None:
    assert score(code, [None]) == (None, None, {}, ("incomplete",))


def test_moaas_flags_loss_of_consciousness_only_at_0() -> None:
    assert score("moaas", [0]).flags == ("loss_of_consciousness",)
    assert score("moaas", [1]).flags == ()


# ----------------------------------------------------------------------------- CADSS, BPRS


def test_cadss_sums_23_items_from_0_to_4() -> None:
    assert score("cadss", [4] * 23).total == 92
    with pytest.raises(ScaleInputError, match="cadss expects 23 answers"):
        score("cadss", [0] * 28)


def test_bprs_items_run_from_1_to_7_and_0_is_refused() -> None:
    assert score("bprs", [1] * 18).total == 18
    with pytest.raises(ScaleInputError, match=r"bprs item 1: 0 is outside .* 1-7"):
        score("bprs", [0] + [1] * 17)


def test_bprs_positive_subscale_sums_items_4_11_12_and_15() -> None:
    answers = _with("bprs", {"4": 7, "11": 6, "12": 5, "15": 4})
    result = score("bprs", answers)
    assert result.subscores == {"positive": 22}
    assert result.total == 14 + 22
