"""The envelope: one frozen, strict, JSON-friendly wire model."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import ValidationError

from accord.wire import Envelope, Performative, Request, compose
from accord.wire.requests import OfferBody


def test_compose_builds_exactly_what_validation_would() -> None:
    envelope = compose(
        negotiation_id="n1",
        sender="a",
        seq=3,
        performative=Performative.OFFER,
        body={"outcome": {"x": 1, "y": "z"}},
        to="host",
        round_=2,
        in_reply_to="host:5",
    )
    validated = Envelope.model_validate(envelope.model_dump())
    assert validated == envelope
    assert envelope.message_id == "a:3"
    assert envelope.model_fields_set == validated.model_fields_set | {"v", "sig"}
    assert envelope.model_copy(update={"seq": 4}).seq == 4
    assert Envelope.model_validate_json(envelope.model_dump_json()) == envelope


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sent_ns", 123),  # must be a string
        ("sent_ns", "12.5"),
        ("seq", 2**53),  # beyond what canonical JSON keeps exactly
        ("negotiation_id", "a/b"),  # not a topic-safe identifier
        ("performative", "shout"),
        ("extra", 1),
    ],
)
def test_envelopes_refuse_what_a_transport_or_a_log_could_not_keep(
    field: str, value: object
) -> None:
    data = compose(
        negotiation_id="n1", sender="a", seq=0, performative=Performative.JOIN, body={}
    ).model_dump()
    data[field] = value
    with pytest.raises(ValidationError):
        Envelope.model_validate(data)


@pytest.mark.parametrize(
    "request_",
    [
        Request(kind="propose"),
        Request(kind="respond", offer={"a": 1, "b": "x", "c": 0.5}, proposer="p"),
        Request(kind="vote", offer={"a": 2}, options={"final": True, "ballot": [1, {"k": None}]}),
    ],
)
def test_a_request_body_is_its_dump_with_the_time(request_: Request) -> None:
    body = request_.body(0.25)
    assert body == request_.model_dump() | {"relative_time": 0.25}
    assert Request.model_validate(body) == request_.model_copy(update={"relative_time": 0.25})


@pytest.mark.parametrize(
    ("kind", "offer", "proposer"),
    [("propose", None, None), ("respond", {"a": 1, "b": "x", "c": 0.5}, "p")],
)
def test_a_checked_request_is_exactly_what_validation_would_build(
    kind: str, offer: dict[str, str | int | float] | None, proposer: str | None
) -> None:
    checked = Request.checked(kind, offer=offer, proposer=proposer)
    validated = Request(kind=kind, offer=offer, proposer=proposer)
    assert checked == validated
    assert checked.model_fields_set == validated.model_fields_set | {"offer", "proposer"}
    assert checked.body(0.5) == validated.body(0.5)
    assert Request.model_validate(checked.body(0.5)) == Request.model_validate(validated.body(0.5))


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": {"a": 1, "b": "x", "c": 0.5}},
        {"outcome": {}},
        {"outcome": {"a": True}},  # bool: pydantic's conversion, as before
        {"outcome": {"a": [1]}},
        {"outcome": {"a": None}},
        {"outcome": [1]},
        {"outcome": {"a": 1}, "more": 2},
        {},
    ],
)
def test_the_outcome_of_an_offer_body_is_what_offer_body_validation_gives(
    body: dict[str, object],
) -> None:
    def outcome(parse: Callable[[], dict[str, str | int | float]]) -> object:
        try:
            value = parse()
        except ValidationError as exc:
            return exc.errors()
        return value, [type(v) for v in value.values()]

    assert outcome(lambda: OfferBody.outcome_of(body)) == outcome(  # type: ignore[arg-type]
        lambda: OfferBody.model_validate(body).outcome
    )


def test_the_outcome_of_an_offer_body_is_a_dict_of_its_own() -> None:
    body: dict[str, object] = {"outcome": {"a": 1, "b": "x"}}
    outcome = OfferBody.outcome_of(body)  # type: ignore[arg-type]
    outcome["a"] = 2
    assert body == {"outcome": {"a": 1, "b": "x"}}


def test_envelopes_are_frozen() -> None:
    envelope = compose(
        negotiation_id="n1", sender="a", seq=0, performative=Performative.JOIN, body={}
    )
    with pytest.raises(ValidationError):
        envelope.seq = 5  # type: ignore[misc]


def test_the_checked_in_schema_is_up_to_date() -> None:
    import json  # noqa: PLC0415

    from accord.wire.schema import wire_schemas  # noqa: PLC0415
    from conftest import ROOT  # noqa: PLC0415

    checked_in = json.loads((ROOT / "docs" / "wire.schema.json").read_text())
    assert checked_in == json.loads(json.dumps(wire_schemas())), (
        "docs/wire.schema.json is stale: python -m accord.wire.schema > docs/wire.schema.json"
    )


_INTEGERS = (
    '{"v":%(v)s,"negotiation_id":"n","message_id":"b:3","sender":"b","seq":%(seq)s,'
    '"round":%(round)s,"performative":"offer","sent_ns":"1"}'
)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", '"3"'),
        ("seq", "3.0"),
        ("seq", "true"),
        ("round", '"1"'),
        ("v", "1.0"),
        ("v", "true"),
    ],
)
def test_integers_on_the_wire_are_json_integers(field: str, value: str) -> None:
    """What is signed is what was sent: a string, float or boolean where an integer belongs
    is refused, not coerced (docs/protocol.md)."""
    plain = {"v": "1", "seq": "3", "round": "1"}
    assert Envelope.model_validate_json(_INTEGERS % plain).seq == 3
    with pytest.raises(ValidationError, match=field):
        Envelope.model_validate_json(_INTEGERS % (plain | {field: value}))
