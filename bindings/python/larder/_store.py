"""Store: a feature repo opened in process, with the calls of Feast's
FeatureStore that serving and training code make: get_online_features,
write_to_online_store and get_historical_features.

One Store may serve many threads: lookups run without the GIL (ctypes
releases it) and without locks, each into a result of its own; the calls
that leave a message on a shared handle (preparing, writing, training
sets) take turns.
"""
import collections
import ctypes
import json
import os
import tempfile
import threading
from ctypes import byref, c_char_p, c_int, c_ulonglong, c_void_p

from . import _definitions, _ffi, _rows, _training
from ._errors import LarderError, check, invalid
from ._values import from_c, shown, timestamp, to_c

lib = _ffi.lib

WriteStats = collections.namedtuple("WriteStats", "rows_written rows_skipped")
WriteStats.__doc__ = "What a write stored, and how many older rows it kept out."


class DataVersion(collections.namedtuple("DataVersion", "generation seq")):
    """A version of the online store's contents (G, S): the generation
    (each compaction or upgrade makes a new, greater one) and the sequence
    number of the last committed change (on a replica, the last entry of
    the primary's log applied). Every committed change makes it greater:
    versions compare by generation, then seq (as tuples do). str() gives
    "G.S", as `larder version` prints it."""
    __slots__ = ()

    def __str__(self):
        return f"{self.generation}.{self.seq}"

    @classmethod
    def _from_c(cls, v):
        return cls(v.generation, v.seq)


class _Request:
    """A prepared lookup and its shape: key columns (join keys, then
    request-data fields) and features, as (name, type) and (view, name,
    type)."""

    def __init__(self, handle):
        self.handle = handle
        n_keys, n_features = c_int(), c_int()
        lib.lr_request_shape(handle, byref(n_keys), byref(n_features))
        self.keys = [self._key(i) for i in range(n_keys.value)]
        self.n_join_keys = _ffi.count_join_keys(handle)
        self.features = [self._feature(i) for i in range(n_features.value)]

    def _key(self, i):
        name, dtype = c_char_p(), c_int()
        lib.lr_request_key(self.handle, i, byref(name), byref(dtype))
        return _ffi.text(name.value), dtype.value

    def _feature(self, i):
        view, name, dtype = c_char_p(), c_char_p(), c_int()
        lib.lr_request_feature(self.handle, i, byref(view), byref(name), byref(dtype))
        return _ffi.text(view.value), _ffi.text(name.value), dtype.value

    def lookup(self, keys, n):
        """Cells of n entities, per feature: (value, status, event µs), and
        the DataVersion they were read at."""
        res = c_void_p()
        check(lib.lr_result_create(self.handle, max(n, 1), byref(res)), lambda: None)
        try:
            rc = lib.lr_get_online_features(self.handle, keys, n, res)
            check(rc, lambda: lib.lr_result_errmsg(res))
            cell, version = _ffi.Value(), _ffi.DataVersion()
            check(lib.lr_result_version(res, byref(version)),
                  lambda: lib.lr_result_errmsg(res))
            return ([[_read_cell(res, e, f, cell) for e in range(n)]
                     for f in range(len(self.features))], DataVersion._from_c(version))
        finally:
            lib.lr_result_free(res)


def _read_cell(res, entity, feature, cell):
    lib.lr_result_cell(res, entity, feature, byref(cell))
    value = from_c(cell) if cell.status == _ffi.STATUS_PRESENT else None
    event_us = None if cell.status == _ffi.STATUS_NOT_FOUND else cell.event_ts
    return value, cell.status, event_us


class OnlineResponse:
    """The result of get_online_features, in the shape of Feast's
    OnlineResponse: to_dict() gives {name: [values]}, join keys first."""

    def __init__(self, join_keys, names, cells, version):
        self._join_keys = join_keys
        self._names = names
        self._cells = cells
        self._version = version

    def version(self):
        """The DataVersion the lookup read: every value of it comes from
        this one snapshot of the store."""
        return self._version

    def to_dict(self, include_event_timestamps=False):
        """{column: [value per entity]}: the join keys as given, then every
        feature (None where it is not PRESENT). With
        include_event_timestamps, each feature's `name__ts` column follows
        it: the event time in whole seconds, as Feast gives it."""
        out = {name: list(values) for name, values in self._join_keys.items()}
        for name, column in zip(self._names, self._cells):
            out[name] = [value for value, _, _ in column]
            if include_event_timestamps:
                out[name + "__ts"] = [None if us is None else us // 1000000
                                      for _, _, us in column]
        return out

    def statuses(self):
        """{feature: [status per entity]}: "PRESENT", "NULL_VALUE",
        "NOT_FOUND" or "OUTSIDE_MAX_AGE"."""
        return {name: [_ffi.text(lib.lr_status_name(s)) for _, s, _ in column]
                for name, column in zip(self._names, self._cells)}

    def event_timestamps(self):
        """{feature: [event time per entity]}: aware UTC datetimes, None
        where no row was found."""
        return {name: [None if us is None else timestamp(us) for _, _, us in column]
                for name, column in zip(self._names, self._cells)}


def _one_of(features, feature_service):
    """The features as a list of references, or None for a service; checks
    that exactly one of the two ways to name features is used."""
    if (features is None) == (feature_service is None):
        raise invalid("give features=[...] or feature_service=..., exactly one")
    if feature_service is not None:
        _rows.text(feature_service, "feature_service")
        return None
    if isinstance(features, (str, bytes)):
        raise invalid("features is a list of 'view:feature' references")
    return _rows.texts(features, "features")


def _c_strings(texts):
    return (c_char_p * len(texts))(*[t.encode() for t in texts])


def _open_handle(open_fn, errmsg_fn, close_fn):
    """A handle from open_fn(&handle). liblarder hands handles back on
    failure too, holding the reason: that one is read, closed and raised."""
    handle = c_void_p()
    rc = open_fn(byref(handle))
    if rc:
        error = LarderError(rc, _ffi.text(errmsg_fn(handle)))
        close_fn(handle)
        raise error
    return handle


def _feature_names(req, full_feature_names):
    names = [f"{view}__{name}" if full_feature_names else name
             for view, name, _ in req.features]
    twice = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if twice:
        raise invalid(f"feature '{twice}' comes from more than one view: pass "
                      "full_feature_names=True")
    return names


def _key_values(req, columns, n):
    """The C keys of a lookup, row-major, and the buffers they point into.
    Every key column must be given: join keys and request fields."""
    taken = [name for name, _ in req.keys]
    unknown = [name for name in columns if name not in taken]
    if unknown:
        raise invalid(f"entity_rows has {', '.join(unknown)}: the request takes "
                      f"{', '.join(taken)}")
    _rows.require_keys(columns, n, taken, req.n_join_keys, "entity_rows")
    keys, keep = (_ffi.Value * max(n * len(taken), 1))(), []
    for k, (name, dtype) in enumerate(req.keys):
        for e, value in enumerate(columns.get(name, [])):
            to_c(value, dtype, keys[e * len(taken) + k], keep, name)
    return keys, keep


def _time_unit(unit):
    """timestamp_unit as C takes it (None: seconds); liblarder checks the
    name."""
    if unit is None:
        return None
    if not isinstance(unit, str):
        raise invalid(f"timestamp_unit must be 's', 'ms', 'us' or 'ns', not "
                      f"{shown(unit)}")
    return unit.encode()


def _entity_spec(entity_rows, shape, scratch):
    """A training set's spec holding its entity rows (a file, or rows
    written into the folder `scratch` and read by a query), and the types
    known of their columns."""
    if isinstance(entity_rows, (str, bytes, os.PathLike)):
        return _ffi.HistoricalSpec(entities_file=_rows.path(entity_rows, "entity_rows")), \
            shape.keys
    columns, n = _rows.as_columns(entity_rows, "entity_rows",
                                  "a path (.csv or .parquet), " + _rows.ROWS_TAKE)
    if n == 0:  # no rows: an empty training set, of the same columns
        for name in [*shape.keys, "event_timestamp"]:
            columns.setdefault(name, [])
    _rows.require_keys(columns, n, list(shape.keys), shape.n_join_keys, "entity_rows")
    query, types = _training.entity_query(columns, n, shape,
                                          os.path.join(scratch, "entities.csv"))
    if types.get("event_timestamp") == _ffi.TYPE_INT64:
        # epoch numbers: liblarder gives back the times it read
        types = {**types, "event_timestamp": _ffi.TYPE_TIMESTAMP}
    return _ffi.HistoricalSpec(entities_sql=query.encode()), types


class Store:
    """A feature repo's online store (and, for training sets, its offline
    sources), opened in process: Store("repo"), or Store("repo",
    writable=True) to write rows as well. Open one Store per repo and
    process and share it; close() it (or use `with`) when done."""

    def __init__(self, repo, writable=False):
        # Every attribute first: close() runs (from __del__) even when the
        # open fails.
        self._lock = threading.Lock()
        self._offline_lock = threading.Lock()
        self._requests, self._schemas = {}, {}
        self._handle, self._registry, self._offline = c_void_p(), c_void_p(), c_void_p()
        self.repo = os.fsdecode(_rows.path(repo, "repo"))
        flags = _ffi.STORE_READWRITE if _rows.flag(writable, "writable") else _ffi.STORE_READONLY
        self._handle = _open_handle(
            lambda out: lib.lr_store_open(os.fsencode(self.repo), flags, out),
            lib.lr_store_errmsg, lib.lr_store_close)

    def close(self):
        """Releases the store and everything prepared on it. No call may be
        under way, in any thread."""
        for req in self._requests.values():
            lib.lr_request_free(req.handle)
        self._requests.clear()
        lib.lr_offline_close(self._offline)
        lib.lr_registry_close(self._registry)
        lib.lr_store_close(self._handle)
        self._handle, self._registry, self._offline = c_void_p(), c_void_p(), c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def _check(self, rc):
        """Raises for a failed call on the store, with its message. The
        caller holds self._lock, so the message is its call's."""
        check(rc, lambda: lib.lr_store_errmsg(self._handle))

    def _prepare(self, features, feature_service):
        """The prepared request for these features, made once and kept."""
        features = _one_of(features, feature_service)
        key = (features is None, feature_service or tuple(features))
        req = self._requests.get(key)
        if req is None:
            with self._lock:
                if key not in self._requests:
                    self._requests[key] = _Request(self._prepare_c(features, feature_service))
                req = self._requests[key]
        return req

    def _prepare_c(self, features, feature_service):
        out = c_void_p()
        if feature_service is not None:
            rc = lib.lr_request_prepare_service(self._handle, feature_service.encode(),
                                                byref(out))
        else:
            refs = _c_strings(list(features))
            rc = lib.lr_request_prepare(self._handle, refs, len(refs), byref(out))
        self._check(rc)
        return out

    def get_online_features(self, features=None, entity_rows=None,
                            feature_service=None, full_feature_names=False):
        """Looks features up for entity_rows (a list of {column: value}, or
        {column: [values]}): every join key of the features' views, plus
        the request-data fields their on-demand views read. Features are
        `view:feature` references, or the features of feature_service."""
        req = self._prepare(features, feature_service)
        names = _feature_names(req, _rows.flag(full_feature_names, "full_feature_names"))
        columns, n = _rows.as_columns(entity_rows, "entity_rows")
        keys, _keep = _key_values(req, columns, n)
        join_keys = {name: columns.get(name, [None] * n)
                     for name, _ in req.keys[:req.n_join_keys]}
        return OnlineResponse(join_keys, names, *req.lookup(keys, n))

    def _schema(self, view):
        """{column: lr_type} of a feature view's writes, read once from the
        registry; {} when it is not an online feature view (the write then
        reports why)."""
        with self._lock:
            if view not in self._schemas:
                self._schemas[view] = self._read_schema(view)
        return self._schemas[view]

    def _describe(self, name):
        """The registry's objects named `name`, as `larder describe --json`
        gives them; [] when there are none, or no registry. The caller
        holds self._lock."""
        if not self._registry:
            try:
                self._registry = _open_handle(
                    lambda out: lib.lr_registry_open(os.fsencode(self.repo), out),
                    lib.lr_registry_errmsg, lib.lr_registry_close)
            except LarderError:
                return []
        text = c_void_p()
        if lib.lr_registry_describe(self._registry, name.encode(), _ffi.FORMAT_JSON,
                                    byref(text)):
            return []
        try:
            return json.loads(ctypes.string_at(text.value))
        finally:
            lib.lr_free(text)

    def _read_schema(self, view):
        objects = self._describe(view)
        fv = next((o for o in objects if o["kind"] == "feature view"), None)
        out = c_void_p()
        refs = _c_strings([f"{view}:{f['name']}" for f in (fv or {}).get("features", [])])
        if not fv or lib.lr_request_prepare(self._handle, refs, len(refs), byref(out)):
            return {}
        req = _Request(out)
        lib.lr_request_free(out)
        schema = dict(req.keys)
        schema.update((name, dtype) for _, name, dtype in req.features)
        schema["event_timestamp"] = schema["created_timestamp"] = _ffi.TYPE_TIMESTAMP
        return schema

    def version(self):
        """The DataVersion of the store's live generation now: a store
        another process compacted reports the new generation. Costs a stat
        and no read transaction."""
        version = _ffi.DataVersion()
        with self._lock:
            self._check(lib.lr_store_version(self._handle, byref(version)))
        return DataVersion._from_c(version)

    def write_to_online_store(self, feature_view_name, rows):
        """Writes rows (a list of dicts, or a dict of columns) into a view's
        online store in one transaction: every join key, event_timestamp
        (a datetime; naive is UTC), optionally created_timestamp, and every
        feature (None for null). Newer rows win. Needs writable=True."""
        schema = self._schema(_rows.text(feature_view_name, "feature_view_name"))
        columns, n = _rows.as_columns(rows, "rows")
        keep, c_columns = [], (_ffi.Column * max(len(columns), 1))()
        for i, (name, values) in enumerate(columns.items()):
            array = (_ffi.Value * max(n, 1))()
            for r, value in enumerate(values):
                to_c(value, schema.get(name), array[r], keep, name)
            encoded = name.encode()
            keep += [array, encoded]
            c_columns[i].name, c_columns[i].values = encoded, array
        stats = _ffi.WriteStats()
        with self._lock:
            self._check(lib.lr_write_rows(self._handle, feature_view_name.encode(), c_columns,
                                          len(columns), n, byref(stats)))
        return WriteStats(stats.rows_written, stats.rows_skipped)

    def get_historical_features(self, entity_rows, features=None,
                                feature_service=None, output=None,
                                full_feature_names=False, as_dataframe=None,
                                timestamp_unit=None):
        """A point-in-time-correct training set: each entity row (join keys,
        an event_timestamp, request fields, any other columns) joined with
        the features as they were at its time. entity_rows is a path (.csv
        or .parquet), a list of dicts, a dict of columns or a pandas
        DataFrame. Returns the training set as a pandas DataFrame when
        pandas can be imported, else as {column: [values]} (as_dataframe
        True or False chooses); with output= (.parquet or .csv) it is
        written there instead, and the number of rows is returned.
        Integer event timestamps are epoch times in timestamp_unit: "s"
        (None: the default), "ms", "us" or "ns"."""
        features = _one_of(features, feature_service)
        full = _rows.flag(full_feature_names, "full_feature_names")
        if as_dataframe is not None:
            _rows.flag(as_dataframe, "as_dataframe")
        with self._lock:
            shape = _definitions.resolve(self._describe, features, feature_service, full)
        with tempfile.TemporaryDirectory(prefix="larder-training-") as scratch:
            spec, types = _entity_spec(entity_rows, shape, scratch)
            spec.features = _c_strings(features) if features is not None else None
            spec.n_features = len(features or [])
            spec.service = feature_service.encode() if feature_service is not None else None
            spec.full_feature_names = int(full)
            spec.timestamp_unit = _time_unit(timestamp_unit)
            target = os.path.join(scratch, "training.csv")
            spec.output = _rows.path(output, "output") if output is not None else target.encode()
            rows = self._build_training_set(spec)
            if output is not None:
                return rows
            columns = _training.read_training_set(target, {**types, **shape.features})
        return _training.as_table(columns, as_dataframe)

    def _build_training_set(self, spec):
        """lr_get_historical_features: the number of rows written."""
        rows = c_ulonglong()
        with self._offline_lock:
            self._open_offline()
            check(lib.lr_get_historical_features(self._offline, byref(spec), byref(rows)),
                  lambda: lib.lr_offline_errmsg(self._offline))
        return rows.value

    def _open_offline(self):
        """Opens the offline handle on first use (the caller holds
        self._offline_lock); a failed open is not kept."""
        if not self._offline:
            self._offline = _open_handle(
                lambda out: lib.lr_offline_open(os.fsencode(self.repo), out),
                lib.lr_offline_errmsg, lib.lr_offline_close)
