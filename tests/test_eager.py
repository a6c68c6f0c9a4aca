"""Eager handling: an agent's handler runs inside the publisher's call, in delivery order."""

from __future__ import annotations

import asyncio

import pytest

from accord.agents.eager import EagerConsumer
from accord.broker import QueueInbox
from accord.wire import HOST, Envelope, Performative, compose


def envelope(seq: int, performative: Performative = Performative.INFORM) -> Envelope:
    return compose(
        negotiation_id="n", sender=HOST, seq=seq, performative=performative, body={"n": seq}
    )


class Recorder:
    """A handler that records what it handled, waits on ``gate`` for the seqs in ``slow``,
    raises on ``boom`` and is done on a ``result``."""

    def __init__(self, slow: set[int] = frozenset(), boom: int | None = None) -> None:  # type: ignore[assignment]
        self.handled: list[int] = []
        self.slow = slow
        self.boom = boom
        self.gate = asyncio.Event()

    async def __call__(self, envelope: Envelope) -> bool:
        if envelope.seq in self.slow:
            await self.gate.wait()
        if envelope.seq == self.boom:
            raise RuntimeError(f"boom at {envelope.seq}")
        self.handled.append(envelope.seq)
        return envelope.performative is Performative.RESULT


async def test_each_envelope_is_handled_before_put_returns() -> None:
    handler = Recorder()
    inbox = QueueInbox()
    inbox.put(envelope(0))  # queued before the listener: handled first
    inbox.listen(EagerConsumer(handler))
    assert handler.handled == [0]
    for seq in (1, 2, 3):
        inbox.put(envelope(seq))
        assert handler.handled[-1] == seq
    assert inbox.get_nowait() is None  # nothing was queued


async def test_a_handler_that_waits_keeps_the_order_and_eager_handling_resumes() -> None:
    handler = Recorder(slow={1})
    consumer = EagerConsumer(handler)
    inbox = QueueInbox()
    inbox.listen(consumer)
    for seq in range(4):
        inbox.put(envelope(seq))
    assert handler.handled == [0]  # 1 waits on the gate; 2 and 3 wait behind it
    handler.gate.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert handler.handled == [0, 1, 2, 3]
    inbox.put(envelope(4))
    assert handler.handled == [0, 1, 2, 3, 4]  # eager again


async def test_the_consumer_finishes_on_the_result_and_ignores_what_follows() -> None:
    handler = Recorder()
    consumer = EagerConsumer(handler)
    consumer(envelope(0))
    consumer(envelope(1, Performative.RESULT))
    consumer(envelope(2))
    assert consumer.finished.done()
    assert consumer.finished.result() is None
    assert handler.handled == [0, 1]


@pytest.mark.parametrize("slow", [set(), {0}], ids=["eager", "after-waiting"])
async def test_a_handler_error_goes_to_the_consumer_not_to_the_publisher(slow: set[int]) -> None:
    handler = Recorder(slow=slow, boom=0)
    handler.gate.set()
    consumer = EagerConsumer(handler)
    consumer(envelope(0))  # does not raise
    with pytest.raises(RuntimeError, match="boom at 0"):
        await asyncio.wait_for(consumer.finished, 1)


async def test_closing_cancels_a_handler_that_is_still_waiting() -> None:
    handler = Recorder(slow={0})
    consumer = EagerConsumer(handler)
    consumer(envelope(0))
    await asyncio.sleep(0)
    await consumer.close()
    handler.gate.set()
    await asyncio.sleep(0)
    assert handler.handled == []


async def test_a_quick_path_takes_what_it_can_and_keeps_the_order_of_the_handler() -> None:
    handler = Recorder(slow={1})
    quickly: list[int] = []

    def even_at_once(envelope: Envelope) -> bool:
        if envelope.seq % 2:
            return False
        quickly.append(envelope.seq)
        handler.handled.append(envelope.seq)
        return True

    consumer = EagerConsumer(handler, even_at_once)
    for seq in range(4):
        consumer(envelope(seq))
    assert handler.handled == [0]  # 1 waits on the gate; 2 and 3 queue behind it, 2 included
    handler.gate.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert handler.handled == [0, 1, 2, 3]
    assert quickly == [0]  # 2 went to the handler, in its turn
    consumer(envelope(4))
    consumer(envelope(5))
    assert handler.handled == [0, 1, 2, 3, 4, 5]
    assert quickly == [0, 4]  # eager again, the quick path too


async def test_a_quick_path_error_goes_to_the_consumer_not_to_the_publisher() -> None:
    def fails(envelope: Envelope) -> bool:
        raise RuntimeError(f"quick boom at {envelope.seq}")

    consumer = EagerConsumer(Recorder(), fails)
    consumer(envelope(0))  # does not raise
    with pytest.raises(RuntimeError, match="quick boom at 0"):
        await asyncio.wait_for(consumer.finished, 1)
