"""The run-filter text syntax, its client-side evaluation, server translation and URL round trip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wbview.errors import BadFilter
from wbview.filters import Condition, RunFilter, check_keys, parse_condition, parse_filters, query_runs
from wbview.records import Run

UTC = UTC


def make_run(**overrides) -> Run:
    fields = dict(
        id="r1",
        entity="acme",
        project="phishing",
        name="r1",
        group="exp-003",
        job_type="train",
        tags=("baseline", "v2"),
        state="finished",
        created_at=datetime(2024, 5, 2, 12, 0, tzinfo=UTC),
        config={
            "params": {"lr": 3e-4, "encoder": "head_tail", "optimizer": {"name": "adamw"}, "layers": [2, 4], "frozen": True},
            "meta": {"task": "phishing"},
            "model.type": "cnn",
            "seed": 7,
        },
        summary={"eval/f1": 0.93, "loss": 0.2, "eval": {"acc": 0.9}, "a.b": 1, "note": "ok"},
    )
    fields.update(overrides)
    return Run(**fields)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("params.encoder=head_tail", Condition("config", ("params", "encoder"), "=", "head_tail")),
        ("params.lr>=1e-4", Condition("config", ("params", "lr"), ">=", 1e-4)),
        ("params.lr >= 1e-4", Condition("config", ("params", "lr"), ">=", 1e-4)),
        ("eval/f1>0.9", Condition("summary", ("eval/f1",), ">", 0.9)),
        ("params.optimizer.name in adamw,sgd", Condition("config", ("params", "optimizer", "name"), "in", ("adamw", "sgd"))),
        (
            "params.optimizer.name not in adamw, sgd",
            Condition("config", ("params", "optimizer", "name"), "not in", ("adamw", "sgd")),
        ),
        ("meta.task=phishing", Condition("config", ("meta", "task"), "=", "phishing")),
        ("config.seed=7", Condition("config", ("seed",), "=", 7)),
        ('"model.type"=cnn', Condition("config", ("model.type",), "=", "cnn")),
        ('config."model.type"=cnn', Condition("config", ("model.type",), "=", "cnn")),
        ('summary."a.b"<=1', Condition("summary", ("a.b",), "<=", 1)),
        ("summary.loss<0.5", Condition("summary", ("loss",), "<", 0.5)),
        ("eval.acc!=0.5", Condition("summary", ("eval", "acc"), "!=", 0.5)),
        ("params.frozen=true", Condition("config", ("params", "frozen"), "=", True)),
        ("params.x=null", Condition("config", ("params", "x"), "=", None)),
        ("params.seed='7'", Condition("config", ("params", "seed"), "=", "7")),
        ('params.name="a, b"', Condition("config", ("params", "name"), "=", "a, b")),
        ("params.x == -3", Condition("config", ("params", "x"), "=", -3)),
        ('params.x in 1,"2",true,null', Condition("config", ("params", "x"), "in", (1, "2", True, None))),
        ('"my metric">1', Condition("summary", ("my metric",), ">", 1)),
        ("params.x IN a,b", Condition("config", ("params", "x"), "in", ("a", "b"))),
        # quoted, any text may follow an operator; list items may hold spaces
        ("params.x='>3'", Condition("config", ("params", "x"), "=", ">3")),
        ('params.x="1e-4 extra"', Condition("config", ("params", "x"), "=", "1e-4 extra")),
        ("params.x in exp 3,b", Condition("config", ("params", "x"), "in", ("exp 3", "b"))),
        ("params.encoder>'head'", Condition("config", ("params", "encoder"), ">", "head")),
        ("summary.day>=2024-05-01", Condition("summary", ("day",), ">=", "2024-05-01")),
    ],
)
def test_parse_condition(text, expected):
    assert parse_condition(text) == expected


@pytest.mark.parametrize(
    "text, bad_part",
    [
        ("", "Empty filter"),
        ("params.lr", "expected an operator"),
        ("params.lr ~ 3", "'~ 3'"),
        ("params.lr>=", "missing value"),
        ("params.x in a,,b", "empty item"),
        ('"model.type=cnn', "unclosed quote"),
        ("params..lr=1", "expected a key name"),
        ('params.x="a"b', "unexpected 'b'"),
        ("params.x>true", "needs a number or a string"),
        ("job_type>train", "job_type supports = and in"),
        ("tags!=a", "tags supports"),
        ("created_at=2024-01-01", "created_at supports >= and <"),
        ("created_at>=yesterday", "not an ISO date"),
        ("config=3", "'config' needs a key"),
        # a doubled or misplaced operator is a typo, not a value
        ("params.lr>>3", "the value '>3' starts with '>'"),
        ("params.lr=>3", "the value '>3' starts with '>'"),
        ("params.lr<>3", "the value '>3' starts with '>'"),
        ("params.lr==>3", "the value '>3' starts with '>'"),
        ("params.lr!==3", "the value '=3' starts with '='"),
        ("params.x in a,>b", "the value '>b' starts with '>'"),
        ("job_type=!train", "the value '!train' starts with '!'"),
        # unquoted text with spaces (outside an in list): quote it
        ("params.lr=1e-4 extra", "the value '1e-4 extra' has spaces"),
        ("params.lr>=1e-4 params.wd=0", "has spaces"),
        ("group=exp 3", "the value 'exp 3' has spaces"),
        # comparisons: a number, a date or a quoted string, never bare text
        ("params.encoder>head", "not the bare text 'head'"),
        ("summary.loss<=low", "not the bare text 'low'"),
    ],
)
def test_bad_filters_name_the_bad_part(text, bad_part):
    with pytest.raises(BadFilter) as info:
        parse_filters([text])
    assert bad_part in str(info.value)
    assert info.value.exit_code == 2


def test_parse_condition_rejects_attributes():
    with pytest.raises(BadFilter, match="run attribute"):
        parse_condition("job_type=train")


@pytest.mark.parametrize(
    "texts, expected",
    [
        (["job_type=train"], RunFilter(job_types=("train",))),
        (["job_type in train,eval", "group=exp-003"], RunFilter(job_types=("train", "eval"), groups=("exp-003",))),
        (["state=finished"], RunFilter(states=("finished",))),
        (["tags in a,b"], RunFilter(tags_any=("a", "b"))),
        (["tags=a", "tags=b"], RunFilter(tags_all=("a", "b"))),
        (["created_at>=2024-05-01"], RunFilter(created_after=datetime(2024, 5, 1, tzinfo=UTC))),
        (["created_at<2024-05-01T12:00:00+02:00"], RunFilter(created_before=datetime(2024, 5, 1, 10, tzinfo=UTC))),
    ],
)
def test_parse_attribute_filters(texts, expected):
    assert parse_filters(texts) == expected


@pytest.mark.parametrize(
    "texts, matches",
    [
        (["params.encoder=head_tail"], True),
        (["params.encoder=cnn"], False),
        (["params.lr>=1e-4"], True),
        (["params.lr>1e-3"], False),
        (["params.lr<=3e-4", "params.lr>=3e-4"], True),
        (["eval/f1>0.9"], True),
        (["eval/f1>0.95"], False),
        (["params.optimizer.name in adamw,sgd"], True),
        (["params.optimizer.name not in adamw,sgd"], False),
        (['"model.type"=cnn'], True),
        (['"model.type"=rnn'], False),
        (["model.type=cnn"], False),  # unquoted: a nested summary path that does not exist
        (['summary."a.b"=1'], True),
        (["eval.acc>=0.9"], True),
        (["params.missing=1"], False),
        (["params.missing!=1"], True),  # W&B/Mongo: != matches a missing path
        (["params.missing=null"], False),
        (["params.missing!=null"], True),
        (["params.missing in 1,null"], False),
        (["params.missing>0"], False),
        (["params.missing not in 1,2"], True),
        (["params.lr>'abc'"], False),  # numbers never compare with strings
        (["summary.note>'a'"], True),
        (["params.frozen=1"], False),  # a bool is not a number
        (["params.frozen=true"], True),
        (["params.layers=4"], True),  # an array equals a scalar when an element does
        (["params.layers in 3,5"], False),
        (["config.seed=7.0"], True),
        (["config.seed='7'"], False),
        (["params.optimizer=adamw"], False),  # a dict is not a scalar
        (["job_type in train,eval"], True),
        (["job_type=eval"], False),
        (["group=exp-003", "state=finished"], True),
        (["state=running"], False),
        (["tags in baseline,x"], True),
        (["tags in x,y"], False),
        (["tags=baseline", "tags=v2"], True),
        (["tags=baseline", "tags=v3"], False),
        (["created_at>=2024-05-02T12:00:00Z"], True),
        (["created_at>=2024-05-03"], False),
        (["created_at<2024-05-02T12:00:00Z"], False),
        (["created_at<2024-05-03"], True),
    ],
)
def test_matches(texts, matches):
    assert parse_filters(texts).matches(make_run()) is matches


def test_created_at_filter_excludes_runs_without_a_date():
    assert not parse_filters(["created_at>=2020-01-01"]).matches(make_run(created_at=None))


def test_empty_filter_matches_everything():
    assert RunFilter().is_empty and RunFilter().matches(make_run(config={}, summary={}, tags=()))


@pytest.mark.parametrize(
    "texts, server, residual",
    [
        ([], {}, []),
        (["params.encoder=head_tail"], {"config.params.value.encoder": {"$eq": "head_tail"}}, []),
        (["eval/f1>0.9"], {"summary_metrics.eval/f1": {"$gt": 0.9}}, []),
        (["params.optimizer.name in adamw,sgd"], {"config.params.value.optimizer.name": {"$in": ["adamw", "sgd"]}}, []),
        (["config.seed!=3"], {"config.seed.value": {"$ne": 3}}, []),
        (['"model.type"=cnn'], {}, ['"model.type"=cnn']),
        (
            ['"model.type"=cnn', "job_type=train", "params.lr<0.1"],
            {"$and": [{"jobType": {"$in": ["train"]}}, {"config.params.value.lr": {"$lt": 0.1}}]},
            ['"model.type"=cnn'],
        ),
        (
            ["tags in a,b", "tags=c", "group=g", "state=finished"],
            {
                "$and": [
                    {"group": {"$in": ["g"]}},
                    {"state": {"$in": ["finished"]}},
                    {"tags": {"$in": ["a", "b"]}},
                    {"tags": {"$in": ["c"]}},
                ]
            },
            [],
        ),
        (
            ["created_at>=2024-05-01T02:00:00+02:00", "created_at<2024-06-01"],
            {"$and": [{"createdAt": {"$gte": "2024-05-01T00:00:00"}}, {"createdAt": {"$lt": "2024-06-01T00:00:00"}}]},
            [],
        ),
        (['params."a.b"=1'], {}, ['params."a.b"=1']),
    ],
)
def test_to_server(texts, server, residual):
    got_server, got_residual = parse_filters(texts).to_server()
    assert got_server == server
    assert got_residual.to_text() == residual


ROUND_TRIP_CASES = [
    ["params.encoder=head_tail", "params.lr>=1e-4", "eval/f1>0.9", "params.optimizer.name in adamw,sgd"],
    ['"model.type"=cnn', 'summary."a.b"!=1', "config.seed=7", "summary.params=1"],
    ["params.x='42'", "params.y='true'", 'params.z="a, b"', "params.w=' padded '", 'params.q="say \\"hi\\""'],
    ["params.x in 1,'2',true,null", "params.n not in 1.5,-2"],
    ["params.x='>3'", "params.y in '=a',b", "params.name>'m'", "summary.day<2024-06-01"],
    ["job_type in train,eval", "group='exp 3'", "state=finished", "tags in a,b", "tags=c"],
    ["created_at>=2024-05-01", "created_at<2024-06-01T10:30:00+02:00"],
    ['"weird \\"key\\""=1', "summary.job_type=3", "summary.config=1", "'eval/f1 (macro)'>=0.5"],
]


@pytest.mark.parametrize("texts", ROUND_TRIP_CASES)
def test_text_and_query_round_trip(texts):
    run_filter = parse_filters(texts)
    assert parse_filters(run_filter.to_text()) == run_filter
    assert RunFilter.from_query(run_filter.to_query()) == run_filter
    assert RunFilter.from_query("?page=runs&" + run_filter.to_query()) == run_filter


def test_from_query_reports_the_bad_condition():
    with pytest.raises(BadFilter, match="params.lr"):
        RunFilter.from_query("f=params.lr")


@pytest.mark.parametrize("texts", ROUND_TRIP_CASES)
def test_residual_plus_server_equals_client_side(texts):
    """The residual is exactly the conditions the server was not sent."""
    run_filter = parse_filters(texts)
    _, residual = run_filter.to_server()
    assert all(c.has_dotted_key for c in residual.conditions)
    assert set(residual.conditions) == {c for c in run_filter.conditions if c.has_dotted_key}


# --- keys no run has (check_keys / query_runs) ---------------------------------------------

_KEY_RUNS = [
    Run(
        id="a",
        entity="e",
        project="p",
        name="a",
        config={"model.type": "distil", "params": {"encoder": "head_tail"}},
        summary={"eval/f1": 0.9},
    ),
    Run(
        id="b",
        entity="e",
        project="p",
        name="b",
        config={"model": {"type": "bert"}, "params": {"encoder": "head"}},
        summary={"loss": 0.1},
    ),
]


@pytest.mark.parametrize(
    ("text", "ids", "note"),
    [
        ("model.type=distil", ["a"], 'flat config key "model.type"'),  # the flat key is the one a run matches
        ("model.type=bert", ["b"], "config key config.model.type"),  # read as summary, exists in the config
        ("params.encodr=head_tail", [], "Closest keys: params.encoder"),
        ("f1>0.5", [], "Closest keys: eval/f1"),
        ("summary.params.encoder=head", ["b"], "config key params.encoder"),
        ("eval/f1>0.5", ["a"], None),  # the key exists: nothing to say
        ("loss>1", [], None),  # the key exists, the value does not match: no note
    ],
)
def test_query_runs_resolves_or_names_missing_keys(text, ids, note):
    run_filter = parse_filters([text])
    runs, check = query_runs(lambda f: [r for r in _KEY_RUNS if f.matches(r)], run_filter, lambda: _KEY_RUNS)
    assert [r.id for r in runs] == ids
    if note is None:
        assert check.notes == () and check.run_filter == run_filter
    else:
        assert len(check.notes) == 1 and note in check.notes[0]


def test_check_keys_without_runs_says_so():
    check = check_keys(parse_filters(["params.lr>1"]), [])
    assert check.notes and "No run has the key params.lr" in check.notes[0]


def test_suggested_keys_hold_values_not_sections():
    check = check_keys(parse_filters(["params.encodr=x"]), _KEY_RUNS)
    assert check.notes[0].endswith("Closest keys: params.encoder.")  # not the section "params"


@pytest.mark.parametrize(
    "field, values, expected",
    [
        ("job_types", ("train", "eval"), RunFilter(job_types=("train", "eval"), groups=("g",))),
        ("groups", ("a",), RunFilter(groups=("a",))),
        ("groups", (), RunFilter()),
        ("states", ("finished",), RunFilter(groups=("g",), states=("finished",))),
    ],
)
def test_with_attribute_sets_only_that_field(field, values, expected):
    assert RunFilter(groups=("g",)).with_attribute(field, values) == expected


# --- run order ---------------------------------------------------------------------------

ORDER_CASES = [
    ("-created_at", ("created_at", (), True), "-created_at", "-created_at"),
    ("+created_at", ("created_at", (), False), "+created_at", "+created_at"),
    ("created_at", ("created_at", (), True), "-created_at", "-created_at"),
    ("-eval/f1", ("summary", ("eval/f1",), True), "-eval/f1", "-summary_metrics.eval/f1"),
    ("+summary.train/loss", ("summary", ("train/loss",), False), "+train/loss", "+summary_metrics.train/loss"),
    ("-params.lr", ("config", ("params", "lr"), True), "-params.lr", "-config.params.value.lr"),
    ("+config.seed", ("config", ("seed",), False), "+config.seed", "+config.seed.value"),
]


@pytest.mark.parametrize(("text", "parsed", "written", "server"), ORDER_CASES)
def test_run_order_text_and_server_forms(text, parsed, written, server):
    from wbview.filters import RunOrder

    order = RunOrder.parse(text)
    assert (order.field, order.keys, order.descending) == parsed
    assert order.to_text() == written and RunOrder.parse(written) == order
    assert order.to_server() == server


def test_run_order_sorts_missing_values_last_either_way():
    from wbview.filters import RunOrder

    runs = [
        make_run(id=rid, summary=summary) for rid, summary in [("a", {"m": 0.5}), ("b", {}), ("c", {"m": 0.9}), ("d", {"m": 0.1})]
    ]
    assert [r.id for r in RunOrder.parse("-m").sort(runs)] == ["c", "a", "d", "b"]
    assert [r.id for r in RunOrder.parse("+m").sort(runs)] == ["d", "a", "c", "b"]


def test_a_note_from_a_sample_says_so():
    check = check_keys(parse_filters(["params.encodr=x"]), _KEY_RUNS, total=50_000)
    assert f"among a sample of {len(_KEY_RUNS)} of the 50,000 runs" in check.notes[0]
