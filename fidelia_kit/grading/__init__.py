"""Exercises and their grading: a student's answers, answer keys, and scores.

- :func:`answer` records a student's answer in the running notebook; :func:`read_answers`
  reads the answers back from an executed notebook.
- :class:`Key` and :class:`Question` describe an exercise's answer key; :func:`load_key`
  imports one; :func:`score` scores a submission's answers; :func:`student_seed` derives a
  student's world seed from the course's salt.
- :func:`read_roster` reads a Moodle, Canvas or plain roster; :func:`assign` releases an
  exercise (a world and a notebook per student); :func:`grade` executes every submission in a
  sandbox (:func:`run_sandboxed`) and writes the grade book (:func:`write_gradebook`).
"""
from __future__ import annotations

from .answers import ANSWER_MIME, answer, answer_value, read_answers
from .assign import Assignment, assign
from .grade import GradeRun, StudentGrade, grade, merge_manual
from .gradebook import write_gradebook
from .key import (
    CHOICE_WORDS,
    KEY_FILE,
    KINDS,
    STUDENT_PARAMETERS,
    Key,
    Question,
    QuestionScore,
    Score,
    direction,
    load_key,
    score,
    student_parameters,
    student_seed,
    student_world,
)
from .roster import Roster, Student, read_roster
from .sandbox import Limits, bwrap_available, run_sandboxed

__all__ = ["CHOICE_WORDS", "direction", "ANSWER_MIME", "answer", "answer_value", "read_answers", "KEY_FILE", "KINDS", "Key", "Question",
           "QuestionScore", "Score", "load_key", "score", "student_seed", "student_world", "student_parameters",
           "STUDENT_PARAMETERS", "Assignment", "assign", "GradeRun", "StudentGrade", "grade", "merge_manual",
           "write_gradebook", "Roster", "Student", "read_roster", "Limits", "bwrap_available", "run_sandboxed"]
