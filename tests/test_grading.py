"""Answers and answer keys: recording, reading back, and scoring by hand-worked examples."""
import math

import nbformat
import numpy as np
import pandas as pd
import pytest

from fidelia_kit.grading import (
    ANSWER_MIME,
    KEY_FILE,
    Key,
    Question,
    answer,
    answer_value,
    direction,
    load_key,
    read_answers,
    score,
    student_seed,
)
from fidelia_kit.notebook import RESULT_MIME


def _nb(*items):
    outs = [nbformat.v4.new_output("display_data", data=d) for d in items]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=outs)])


def test_answer_values_take_their_json_form():
    assert answer_value(np.int64(7)) == {"type": "number", "value": 7.0}
    assert answer_value(np.float64("nan")) == {"type": "number", "value": None}
    assert answer_value(True) == {"type": "bool", "value": True}
    assert answer_value("Loyal") == {"type": "text", "value": "Loyal"}
    table = answer_value(pd.DataFrame({"n": [3, 4]}, index=pd.Index([1, 2], name="tier")))
    assert table == {"type": "table", "value": {"index": ["1", "2"], "columns": ["n"], "data": [[3], [4]]}}
    with pytest.raises(TypeError, match="'q7'.*a dict cannot be an answer"):
        answer_value({"a": 1}, question_id="q7")
    with pytest.raises(ValueError, match="too large"):
        answer_value(pd.DataFrame(np.zeros((20_001, 1))))
    with pytest.raises(ValueError, match="question id"):
        answer("1 bad", 3)
    assert answer("q1", None) is None  # a blank placeholder records nothing and does not fail


def test_read_answers_keeps_the_last_answer_and_ignores_results_and_malformed_outputs():
    nb = _nb({ANSWER_MIME: {"question": "q1", "type": "number", "value": 1.0}},
             {RESULT_MIME: {"name": "q1", "value": 99}},                       # a result, not an answer
             {ANSWER_MIME: {"question": "q1", "type": "number", "value": 2.0}},
             {ANSWER_MIME: {"question": "q2", "type": "weird", "value": 1}},   # malformed
             {ANSWER_MIME: '{"question": "q3", "type": "text", "value": "hi"}'})
    assert read_answers(nb) == {"q1": {"type": "number", "value": 2.0}, "q3": {"type": "text", "value": "hi"}}


def _key(*questions, expected=None):
    return Key("demo", tuple(questions), expected or (lambda world: {}))


def test_number_tolerance_and_partial_credit_by_hand():
    q = Question("q1", points=4, kind="number", atol=0.5, rtol=0.01, partial=(5, 0.5))
    key = _key(q)
    # tolerance at 200: 0.5 + 0.01 * 200 = 2.5; partial within 12.5
    cases = {202.5: 4.0, 197.5: 4.0, 197.4: 2.0, 202.6: 2.0, 212.5: 2.0, 212.6: 0.0, "202,0": 4.0, "n/a": 0.0, True: 0.0}
    for given, points in cases.items():
        assert score(key, {"q1": 200}, {"q1": given}).points == points, given


def test_accepted_alternatives_and_ties():
    key = _key(Question("share", 1, "number", atol=0.005, accept=(25.0,)),
               Question("seg", 1, "choice", accept=("champions",)))
    s = score(key, {"share": 0.25, "seg": ("Loyal", "Promoter")}, {"share": 25.0, "seg": "PROMOTER "})
    assert [q.status for q in s.questions] == ["right", "right"]
    assert score(key, {"share": 0.25, "seg": "Loyal"}, {"seg": "Champions"}).points == 1.0
    assert score(key, {"share": 0.25, "seg": "Loyal"}, {"seg": "At risk"}).questions[1].status == "wrong"


def test_choice_ignores_case_accents_and_spacing():
    key = _key(Question("tier", 1, "choice"))
    assert score(key, {"tier": "Alto rendimiento"}, {"tier": "  alto   RENDIMIENTO"}).points == 1
    assert score(key, {"tier": "Bajo cero"}, {"tier": "bajo_cero"}).points == 1
    assert score(key, {"tier": "promoción"}, {"tier": "Promocion"}).points == 1


def test_table_per_cell_and_all_or_nothing_by_hand():
    want = pd.DataFrame({"n": [10, 20], "share": [0.25, 0.75]}, index=["a", "b"])
    got = answer_value(pd.DataFrame({"n": [10, 21], "share": [0.25, 0.75]}, index=["a", "b"]))
    per_cell = _key(Question("t", 4, "table", atol=0.001, per_cell=True))
    assert score(per_cell, {"t": want}, {"t": got}).points == 3.0          # 3 of 4 cells right
    whole = _key(Question("t", 4, "table", atol=0.6, partial=(2, 0.5)))
    assert score(whole, {"t": want}, {"t": got}).points == 2.0             # 21 vs 20 within 2 x 0.6
    swapped = answer_value(pd.DataFrame({"share": [0.75, 0.25], "n": [20, 10]}, index=["b", "a"]))
    assert score(per_cell, {"t": want}, {"t": swapped}).points == 4.0      # matched by label, not position
    series = answer_value(pd.Series({"a": 1.0, "b": 2.0}, name="anything"))
    assert score(per_cell, {"t": pd.Series({"a": 1.0, "b": 2.0}, name="mean")}, {"t": series}).points == 4.0


def test_bool_missing_and_free_text():
    key = _key(Question("yes", 1, "bool"), Question("n", 2, "number"), Question("why", 3, "text"))
    s = score(key, {"yes": True, "n": 1.0}, {"yes": "Sí", "why": "because the lift is small"})
    by = {q.question: q for q in s.questions}
    assert by["yes"].status == "right" and by["n"].status == "missing" and by["why"].status == "manual"
    assert math.isnan(by["why"].points)
    assert s.points == 1.0 and s.possible == 6.0
    assert score(key, {"yes": True, "n": 1.0}, {"why": "   "}).questions[2].status == "missing"


def test_key_checks_its_questions_and_expected_answers():
    with pytest.raises(ValueError, match="repeated: q1"):
        _key(Question("q1", 1, "number"), Question("q1", 1, "choice"))
    with pytest.raises(ValueError, match="kind must be one of"):
        Question("q1", 1, "essay")
    with pytest.raises(ValueError, match="partial must be"):
        Question("q1", 1, "number", partial=(0.5, 0.5))
    key = _key(Question("q1", 1, "number"), Question("q2", 1, "text"), expected=lambda world: {"q9": 1})
    with pytest.raises(ValueError, match="missing: q1; unknown: q9"):
        key.answers_for(None)


def test_load_key_imports_the_instructor_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no answer key"):
        load_key(tmp_path)
    (tmp_path / KEY_FILE).parent.mkdir()
    (tmp_path / KEY_FILE).write_text("KEY = 3\n")
    with pytest.raises(ValueError, match="must define KEY"):
        load_key(tmp_path)
    (tmp_path / KEY_FILE).write_text("from fidelia_kit.grading import Key, Question\n"
                                     "KEY = Key('x', (Question('q1', 2, 'number'),), lambda w: {'q1': 5})\n")
    key = load_key(tmp_path)
    assert key.points == 2.0 and key.answers_for(None) == {"q1": 5}


def test_student_seeds_differ_by_salt_exercise_and_student():
    seeds = {student_seed(salt, ex, sid) for salt in ("a", "b") for ex in ("01", "02") for sid in ("ana", "ben")}
    assert len(seeds) == 8 and all(0 <= s < 2**31 for s in seeds)
    # a fixed value: the derivation must not change between releases, or students' worlds would
    assert student_seed("course-2026", "01_customer_database", "s001") == student_seed(
        "course-2026", "01_customer_database", "s001")


def test_spanish_words_count_as_the_english_choices_and_direction_by_hand():
    key = _key(Question("q1", 1, "choice"), Question("q2", 1, "choice"))
    assert score(key, {"q1": "higher", "q2": "about four times"}, {"q1": "Mayor", "q2": "unas cuatro veces"}).points == 2
    assert score(key, {"q1": "higher", "q2": "about twice"}, {"q1": "menor", "q2": "cuatro veces"}).points == 0
    assert score(key, {"q1": "same", "q2": "inconclusive"}, {"q1": "igual", "q2": "No concluyente"}).points == 2
    assert direction(0.50, 0.62) == "higher" and direction(0.62, 0.50) == "lower" and direction(3.0, 3.0) == "same"
    assert direction(1e6, 1e6 + 1e-6) == "same"  # a rounding-level difference is no change
