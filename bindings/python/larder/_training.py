"""Training sets to and from Python values, through scratch CSV files.

Entity rows given in memory (a list of dicts, a dict of columns, a pandas
DataFrame) are written as CSV with one declared type per column, read by
liblarder through a DuckDB query (read_csv with `columns`, nothing
guessed): a key column gets its join key's or request field's type, and a
value that does not fit it is an error naming the row and the column; any
other column gets the type of its values (bool, int, float, str, bytes or
datetime; event_timestamp as text is read as `write_to_online_store`
reads it).

The training set comes back as the CSV liblarder writes (DuckDB's text for
each value), each column read by its type: a feature's from the registry,
an entity column's as written, or, for an entity file's other columns,
the first of bool, int, float, timestamp and str that reads every value.
An unquoted empty cell is null; a quoted one, an empty string.
"""
import datetime
import functools
import numbers
import re
import struct

from . import _ffi
from ._errors import LarderError, invalid
from ._values import fits, micros, parse_time, plain, shown, timestamp

UTC = datetime.timezone.utc
_SQL_TYPES = {_ffi.TYPE_BOOL: "BOOLEAN", _ffi.TYPE_INT32: "INTEGER",
              _ffi.TYPE_INT64: "BIGINT", _ffi.TYPE_FLOAT32: "FLOAT",
              _ffi.TYPE_FLOAT64: "DOUBLE", _ffi.TYPE_STRING: "VARCHAR",
              _ffi.TYPE_BYTES: "BLOB", _ffi.TYPE_TIMESTAMP: "TIMESTAMPTZ"}


def _sql_text(s):
    return "'" + s.replace("'", "''") + "'"


def entity_query(columns, n, shape, path):
    """Writes the entity rows to `path` and returns (the DuckDB query that
    reads them, {column: type})."""
    columns = {name: [plain(v) for v in values] for name, values in columns.items()}
    types = {name: _column_type(name, values, shape) for name, values in columns.items()}
    cells = [_cells(values, types[name], name) for name, values in columns.items()]
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(_quoted(name) for name in columns) + "\n")
        for r in range(n):
            f.write(",".join(column[r] for column in cells) + "\n")
    declared = ", ".join(f"{_sql_text(name)}: {_sql_text(_SQL_TYPES[t])}"
                         for name, t in types.items())
    query = (f"SELECT * FROM read_csv({_sql_text(path)}, header = true, "
             f"auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
             f"new_line = '\\n', allow_quoted_nulls = false, "
             f"columns = {{{declared}}})")
    return query, types


def _column_type(name, values, shape):
    """A key column's declared type, its values checked; another column's
    type from its values."""
    dtype = shape.keys.get(name)
    if dtype is None:
        return _inferred_type(name, values)
    role = "join key" if name in shape.join_keys else "request field"
    if dtype not in _SQL_TYPES:
        raise invalid(f"{role} '{name}' is {_ffi.type_name(dtype)}, which entity "
                      "rows cannot hold")
    for r, value in enumerate(values):
        if value is not None and not fits(value, dtype):
            raise LarderError(_ffi.LR_ETYPE, f"entity_rows[{r}]: {role} '{name}' must "
                              f"be {_ffi.type_name(dtype)}, not {shown(value)}")
    return dtype


def _value_type(name, value, r):
    if isinstance(value, bool):
        return _ffi.TYPE_BOOL
    if isinstance(value, numbers.Integral):
        return _ffi.TYPE_INT64
    if isinstance(value, numbers.Real):
        return _ffi.TYPE_FLOAT64
    if isinstance(value, str):
        return _ffi.TYPE_TIMESTAMP if name == "event_timestamp" else _ffi.TYPE_STRING
    if isinstance(value, datetime.datetime):
        return _ffi.TYPE_TIMESTAMP
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _ffi.TYPE_BYTES
    raise LarderError(_ffi.LR_ETYPE, f"entity_rows[{r}]: '{name}' must be a bool, "
                      f"int, float, str, bytes or datetime, not {shown(value)}")


def _inferred_type(name, values):
    kinds = {_value_type(name, v, r) for r, v in enumerate(values) if v is not None}
    if kinds == {_ffi.TYPE_INT64, _ffi.TYPE_FLOAT64}:
        return _ffi.TYPE_FLOAT64
    if len(kinds) > 1:
        names = ", ".join(sorted(_ffi.type_name(k) for k in kinds))
        raise LarderError(_ffi.LR_ETYPE, f"entity_rows column '{name}' mixes {names}: "
                          "give one type per column")
    return kinds.pop() if kinds else _ffi.TYPE_STRING


def _quoted(s):
    return '"' + s.replace('"', '""') + '"'


def _blob_text(data):
    """Bytes as DuckDB's BLOB text: printable ASCII as is, the rest and the
    backslash as \\xHH."""
    return "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02X}"
                   for b in bytes(data))


def _time_text(value, name):
    us = parse_time(value, name) if isinstance(value, str) else micros(value)
    return timestamp(us).isoformat()


_FORMAT = {_ffi.TYPE_BOOL: lambda v: "true" if v else "false",
           _ffi.TYPE_INT32: lambda v: str(int(v)), _ffi.TYPE_INT64: lambda v: str(int(v)),
           _ffi.TYPE_FLOAT32: lambda v: repr(float(v)),
           _ffi.TYPE_FLOAT64: lambda v: repr(float(v)),
           _ffi.TYPE_STRING: _quoted, _ffi.TYPE_BYTES: lambda v: _quoted(_blob_text(v))}


def _cells(values, dtype, name):
    """The CSV cells of a column of type dtype (None: an unquoted empty
    cell). Times repeat in entity rows: each distinct one is converted once."""
    if dtype == _ffi.TYPE_TIMESTAMP:
        seen = {}
        return ["" if v is None else seen.get(v) or seen.setdefault(v, _time_text(v, name))
                for v in values]
    text = _FORMAT[dtype]
    return ["" if v is None else text(v) for v in values]


# ---- reading the training set back -------------------------------------------

_CELL = re.compile(r'(?:"((?:[^"]|"")*)"|([^,"]*))(,|$)')
_LIST_ITEM = re.compile(r"'((?:[^'\\]|\\.)*)'|([^,]*)")
_TIME = re.compile(r"(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?"
                   r"(?:([+-])(\d\d)(?::?(\d\d))?)?$")


def _records(text):
    """CSV records: lists of cells, None for an unquoted empty cell. A line
    without quotes is split as it is; one with them (a quoted cell may go
    on over lines) is read cell by cell."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        record, i = lines[i], i + 1
        if '"' not in record:
            yield [cell or None for cell in record.split(",")]
            continue
        while record.count('"') % 2 and i < len(lines):
            record, i = record + "\n" + lines[i], i + 1
        yield _quoted_record(record)


def _quoted_record(record):
    row, pos = [], 0
    while True:
        m = _CELL.match(record, pos)
        if m is None:
            raise LarderError(_ffi.LR_EIO, "the training set's CSV cannot be read: "
                              f"{record[:200]!r}")
        quoted, bare, end = m.groups()
        row.append(quoted.replace('""', '"') if quoted is not None else bare or None)
        if not end:
            return row
        pos = m.end()


@functools.lru_cache(maxsize=65536)
def _timestamp(text):
    """DuckDB's text of a time as an aware UTC datetime (no zone: UTC)."""
    try:
        dt = datetime.datetime.fromisoformat(text)
    except ValueError:
        dt = _timestamp_by_parts(text)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _timestamp_by_parts(text):
    """What fromisoformat reads only from Python 3.11 on (`+00`)."""
    m = _TIME.match(text)
    if m is None:
        raise ValueError(text)
    y, mo, d, h, mi, s, frac, sign, oh, om = m.groups()
    offset = datetime.timedelta(hours=int(oh or 0), minutes=int(om or 0))
    zone = datetime.timezone(-offset if sign == "-" else offset)
    return datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s),
                             int((frac or "0").ljust(6, "0")), zone)


def _float32(text):
    """A float32 as online lookups give it: the float32 nearest the text."""
    return struct.unpack("f", struct.pack("f", float(text)))[0]


def _blob(text):
    parts = re.split(r"\\x([0-9A-Fa-f]{2})", text)
    return b"".join(bytes([int(p, 16)]) if i % 2 else p.encode() for i, p in enumerate(parts))


def _bool(text):
    if text not in ("true", "false"):
        raise ValueError(text)
    return text == "true"


_PARSE = {_ffi.TYPE_BOOL: _bool, _ffi.TYPE_INT32: int, _ffi.TYPE_INT64: int,
          _ffi.TYPE_FLOAT32: _float32, _ffi.TYPE_FLOAT64: float,
          _ffi.TYPE_STRING: str, _ffi.TYPE_BYTES: _blob,
          _ffi.TYPE_TIMESTAMP: _timestamp}


def _list_items(text):
    """The elements of DuckDB's text of a list: `[a, 'b, c', 'it\\'s']`."""
    inner, items, pos = text[1:-1], [], 0
    while inner:
        m = _LIST_ITEM.match(inner, pos)
        quoted, bare = m.groups()
        items.append(re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare)
        pos = m.end() + 2  # past ", "
        if pos > len(inner):
            break
    return items


def _parser(dtype):
    if dtype is not None and dtype & _ffi.TYPE_ARRAY:
        element = _PARSE[dtype & ~_ffi.TYPE_ARRAY]
        return lambda text: [element(x) for x in _list_items(text)]
    return _PARSE[dtype]


def _read_column(cells, dtype):
    """A column's values, by its type; by the first type that reads every
    value when it is unknown."""
    given = [c for c in cells if c is not None]
    candidates = [dtype] if dtype is not None else [
        _ffi.TYPE_BOOL, _ffi.TYPE_INT64, _ffi.TYPE_FLOAT64, _ffi.TYPE_TIMESTAMP]
    for candidate in candidates:
        parse = _parser(candidate)
        try:
            return [None if c is None else parse(c) for c in cells]
        except ValueError:
            if dtype is not None:
                raise LarderError(_ffi.LR_EIO, f"the training set's values of type "
                                  f"{_ffi.type_name(dtype)} cannot be read: "
                                  f"{given[:3]!r}") from None
    return list(cells)


def read_training_set(path, types):
    """{column: [values]} of the CSV at `path`; types: {column: type} of
    the columns whose type is known."""
    with open(path, encoding="utf-8", newline="") as f:
        records = _records(f.read())
    header = next(records, [])
    cells = list(zip(*records)) if header else []
    cells = cells or [()] * len(header)
    return {name: _read_column(column, types.get(name))
            for name, column in zip(header, cells)}


def as_table(columns, as_dataframe):
    """The training set as a pandas DataFrame when pandas can be imported
    (as_dataframe=None) or is asked for (True), else as {column: [values]}."""
    if as_dataframe is False:
        return columns
    try:
        import pandas
    except ImportError:
        if as_dataframe:
            raise LarderError(_ffi.LR_EUNSUPPORTED, "as_dataframe=True needs pandas, "
                              "which cannot be imported: install it (Debian: "
                              "python3-pandas), or pass as_dataframe=False") from None
        return columns
    return pandas.DataFrame(columns)
