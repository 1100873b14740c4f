"""The arguments of the Store's calls, checked before anything reaches C:
rows given as a list of dicts, a dict of columns or a pandas DataFrame turn
into columns, and a value of the wrong kind is a LarderError that names the
argument and what it takes (never a TypeError from deep inside ctypes).

A column that some rows give and others do not is an error naming the row
and the column: None, not absence, is a null value, as on the command line
and over HTTP.
"""
import os
from collections.abc import Mapping

from ._errors import invalid
from ._values import shown

ROWS_TAKE = "a list of dicts, a dict of columns or a pandas DataFrame"


def is_dataframe(value):
    """A pandas DataFrame, recognized without importing pandas."""
    return type(value).__module__.startswith("pandas.") and hasattr(value, "columns")


def is_series(value):
    """A pandas Series (a DataFrame's column)."""
    return type(value).__module__.startswith("pandas.") and hasattr(value, "isna")


def text(value, what):
    """value, which must be a str."""
    if not isinstance(value, str):
        raise invalid(f"{what} must be a str, not {shown(value)}")
    return value


def flag(value, what):
    """value, which must be a bool."""
    if not isinstance(value, bool):
        raise invalid(f"{what} must be True or False, not {shown(value)}")
    return value


def texts(values, what):
    """A list of str from a list or tuple of them."""
    if not isinstance(values, (list, tuple)):
        raise invalid(f"{what} must be a list of 'view:feature' references, "
                      f"not {shown(values)}")
    return [text(v, f"{what}[{i}]") for i, v in enumerate(values)]


def path(value, what):
    """A path as bytes for C, from a str or an os.PathLike."""
    try:
        return os.fsencode(value)
    except TypeError:
        raise invalid(f"{what} must be a path (a str or an os.PathLike), "
                      f"not {shown(value)}") from None


def as_columns(rows, what, takes=ROWS_TAKE):
    """Rows as ({name: [values]}, number of rows), from a list of dicts, a
    dict of equal-length columns or a pandas DataFrame; `takes` says what
    the argument takes, for errors."""
    if rows is None:
        raise invalid(f"{what} is required: {takes}")
    if is_dataframe(rows):
        return _frame_columns(rows, what)
    if isinstance(rows, Mapping):
        return _dict_columns(rows, what)
    if isinstance(rows, (str, bytes)) or not hasattr(rows, "__iter__"):
        raise invalid(f"{what} must be {takes}, not {shown(rows)}")
    return _row_columns(list(rows), what)


def _names(names, what):
    for name in names:
        if not isinstance(name, str):
            raise invalid(f"the column names of {what} must be str, not "
                          f"{shown(name)}")


def _dict_columns(rows, what):
    _names(rows, what)
    for name, values in rows.items():
        if not isinstance(values, (list, tuple)) and not is_series(values):
            raise invalid(f"{what}['{name}'] must be a list of values (a dict "
                          f"of columns), not {shown(values)}")
    columns = {name: list(values) for name, values in rows.items()}
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise invalid(f"the columns of {what} have different lengths")
    return columns, lengths.pop() if lengths else 0


def _frame_columns(frame, what):
    """A DataFrame's columns as lists of Python values, NaN, NaT and NA as
    None (pandas' missing values)."""
    _names(frame.columns, what)
    return {name: _series_values(frame[name]) for name in frame.columns}, len(frame)


def _series_values(series):
    missing = series.isna().tolist()
    return [None if gone else value for value, gone in zip(series.tolist(), missing)]


def _row_columns(rows, what):
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise invalid(f"{what}[{i}] must be a dict {{column: value}}, not "
                          f"{shown(row)}")
    first = {}
    for i, row in enumerate(rows):
        _names(row, f"{what}[{i}]")
        for name in row:
            first.setdefault(name, i)
    for i, row in enumerate(rows):
        for name, j in first.items():
            if name not in row:
                raise invalid(f"{what}[{i}] has no '{name}' ({what}[{j}] has it): "
                              "give every column in every row (None is a null value)")
    return {name: [row[name] for row in rows] for name in first}, len(rows)


def require_keys(columns, n, keys, n_join_keys, what):
    """Checks that the columns hold every key column of a request: its join
    keys, then the request-data fields of its on-demand views."""
    if n == 0:
        return
    for k, name in enumerate(keys):
        if name not in columns:
            role = "join key" if k < n_join_keys else "request field"
            raise invalid(f"{role} '{name}' is missing from {what}: give it in "
                          "every row (None is a null value)")
