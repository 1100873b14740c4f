"""What a training set's columns hold, read from the applied registry (as
`larder describe --json` shows it): the type of each feature, under the
name its column gets, and of each key column the entity rows must give
(join keys, then the request-data fields of on-demand views).

The online request API gives the same for online views only; a training
set may also read views that are never online. Names the registry does not
know are left out: liblarder reports them, with its hints, when the
training set is built.
"""
from . import _ffi


class Shape:
    """keys: {column: type} of the entity rows' key columns; n_join_keys:
    how many of them (the first) are join keys; features: {column: type}
    of the feature columns, in the order referenced."""

    def __init__(self):
        self.join_keys, self.fields, self.features = {}, {}, {}

    @property
    def keys(self):
        return {**self.join_keys, **self.fields}

    @property
    def n_join_keys(self):
        return len(self.join_keys)


def resolve(describe, features, feature_service, full_feature_names):
    """The Shape of a training set of `features` (view:feature references)
    or of `feature_service`. describe(name) gives the registry's objects of
    that name, as parsed JSON ([] when there is none)."""
    shape = Shape()
    refs = features if features is not None else _service_refs(describe, feature_service)
    for ref in refs:
        view_name, _, feature = ref.partition(":")
        view = _object(describe, view_name, ("feature view", "on-demand feature view"))
        if view is None:
            continue
        for f in view.get("features", []):
            if feature in ("", f["name"]):
                column = f"{view_name}__{f['name']}" if full_feature_names else f["name"]
                shape.features[column] = _ffi.TYPES.get(f["dtype"])
        _add_keys(describe, view, shape)
    return shape


def _object(describe, name, kinds):
    return next((o for o in describe(name) if o.get("kind") in kinds), None)


def _service_refs(describe, service):
    found = _object(describe, service, ("feature service",))
    return found["features"] if found else []


def _add_keys(describe, view, shape):
    """The join keys of a feature view, or what an on-demand view's sources
    need: their join keys and the fields of its request sources."""
    for entity_name in view.get("entities", []):
        entity = _object(describe, entity_name, ("entity",))
        for key in (entity or {}).get("join_keys", []):
            shape.join_keys.setdefault(key, _ffi.TYPES.get(entity["value_type"]))
    for source_name in view.get("sources", []):
        source = _object(describe, source_name, ("feature view", "request source"))
        if source is None:
            continue
        for field in source.get("schema", []):
            shape.fields.setdefault(field["name"], _ffi.TYPES.get(field["dtype"]))
        _add_keys(describe, source, shape)
