"""Exercises and their grading: a student's answers, answer keys, and scores.

- :func:`answer` records a student's answer in the running notebook; :func:`read_answers`
  reads the answers back from an executed notebook.
- :class:`Key` and :class:`Question` describe an exercise's answer key; :func:`load_key`
  imports one; :func:`score` scores a submission's answers; :func:`student_seed` derives a
  student's world seed from the course's salt.
"""
from __future__ import annotations

from .answers import ANSWER_MIME, answer, answer_value, read_answers
from .key import (
    KEY_FILE,
    KINDS,
    STUDENT_PARAMETERS,
    Key,
    Question,
    QuestionScore,
    Score,
    load_key,
    score,
    student_parameters,
    student_seed,
    student_world,
)

__all__ = ["ANSWER_MIME", "answer", "answer_value", "read_answers", "KEY_FILE", "KINDS", "Key", "Question",
           "QuestionScore", "Score", "load_key", "score", "student_seed", "student_world", "student_parameters",
           "STUDENT_PARAMETERS"]
