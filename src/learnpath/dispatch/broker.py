"""The Redis transport learnpath's Celery apps use: kombu's, minus one crash on a restart.

When Redis goes away, Celery's consumer closes the broken connection, and kombu tries to
give the worker's unacknowledged messages back to Redis on the way out. Redis is gone,
and kombu has already detached the connection, so that fails with ``AttributeError:
'NoneType' object has no attribute 'hostname'``, which Celery treats as unrecoverable:
the worker process exits. Nothing is lost by not giving the messages back: a message
is only a hint (``celery_app``), the job stays in the database, and the reconciler
republishes jobs that were published but never claimed. So ``QuietQoS`` logs one line
and lets the consumer reconnect; it does the same for an ack or a reject that arrives
for a message of the dropped connection.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis

log = logging.getLogger(__name__)

#: What ``broker_transport`` names for a ``redis://`` broker.
REDIS_TRANSPORT = "learnpath.dispatch.broker:RedisTransport"


class QuietQoS(redis.QoS):
    def ack(self, delivery_tag: Any) -> None:
        if self._detached(delivery_tag, "acknowledged"):
            return
        super().ack(delivery_tag)  # type: ignore[no-untyped-call]

    def reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        if self._detached(delivery_tag, "rejected"):
            return
        super().reject(delivery_tag, requeue=requeue)  # type: ignore[no-untyped-call]

    def _detached(self, delivery_tag: Any, what: str) -> bool:
        """True when the message came on a connection Celery already dropped.

        A claim that finishes while the consumer reconnects acks on the old channel, whose
        connection is gone; kombu would fail with an AttributeError, which ends the worker.
        Unacknowledged, the message is redelivered later and dropped as ``taken``.
        """
        if self.channel.connection is not None:
            return False
        self._delivered.pop(delivery_tag, None)
        log.info("a message from before the broker reconnect cannot be %s now; skipped", what)
        return True

    def restore_unacked(self, client: Any = None) -> None:
        try:
            super().restore_unacked(client)  # type: ignore[no-untyped-call]
        except Exception as exc:
            count = len(self._delivered)
            self._delivered.clear()
            log.info(
                "broker connection gone (%s): %d unacknowledged message(s) not given back; "
                "their jobs wait in the database and are published again",
                type(exc).__name__,
                count,
            )


class Channel(redis.Channel):
    QoS = QuietQoS


class RedisTransport(redis.Transport):
    Channel = Channel
