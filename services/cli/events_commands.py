"""`yibao events follow`: a province's transfer events from NATS JetStream,
where the transfer service publishes them when YIBAO_NATS_URL is set
(docs/operations.md, *Events on NATS JetStream*)."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated

import typer
from google.protobuf import json_format
from yibao.transfer.v1 import transfer_pb2 as pb

from services.cli.client import emit_message, err, out, yuan
from services.kernel.config import Settings, load_settings

events_app = typer.Typer(help="Transfer events on NATS JetStream.", no_args_is_help=True)

FETCH = 100  # messages asked for at a time
WAIT_SECONDS = 1.0  # how long one fetch waits for messages
CONNECT_SECONDS = 10.0


def _line(e: pb.TransferEvent) -> str:
    kind = pb.TransferEventType.Name(e.type).removeprefix("TRANSFER_EVENT_TYPE_").lower() if e.type else ""
    t = e.transfer
    return (
        f"{e.sequence:>6} {kind:<9} {t.id} {yuan(t.amount_fen)} "
        f"{t.payer_province}->{t.payee_province} {e.event_time.ToJsonString()}"
    )


async def _follow(
    settings: Settings,
    server: str,
    province: str,
    durable: str,
    from_start: bool,
    count: int | None,
    idle: float | None,
) -> int:
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
    from nats.js.errors import NotFoundError

    connected = False

    async def report(error: Exception) -> None:  # once connected: a lost connection, retried
        if connected:
            err.print(f"[yellow]nats: {error or type(error).__name__}[/yellow]")

    try:
        nc = await asyncio.wait_for(
            nats.connect(
                server.split(","),
                name="yibao-events-follow",
                max_reconnect_attempts=-1,  # a follower waits for its server to come back
                error_cb=report,
            ),
            CONNECT_SECONDS,
        )
    except TimeoutError:
        err.print(f"[red]no NATS server answers at {server}[/red]")
        raise typer.Exit(1) from None
    connected = True
    seen = 0
    try:
        js = nc.jetstream()
        stream, subject = settings.nats_stream, f"{settings.nats_subject_prefix}.{province}.>"
        try:
            info = await js.consumer_info(stream, durable)
            if info.config.filter_subject != subject:
                err.print(
                    f"[red]consumer {durable} follows {info.config.filter_subject}, not {subject}[/red]"
                )
                raise typer.Exit(1)
        except NotFoundError:
            await js.add_consumer(
                stream,
                ConsumerConfig(
                    durable_name=durable,
                    filter_subject=subject,
                    ack_policy=AckPolicy.EXPLICIT,
                    deliver_policy=DeliverPolicy.ALL if from_start else DeliverPolicy.NEW,
                ),
            )
        sub = await js.pull_subscribe_bind(durable=durable, stream=stream)
        quiet_for = 0.0
        while count is None or seen < count:
            want = FETCH if count is None else min(FETCH, count - seen)
            try:
                messages = await sub.fetch(want, timeout=WAIT_SECONDS)
            except TimeoutError:  # nothing new
                quiet_for += WAIT_SECONDS
                if idle is not None and quiet_for >= idle:
                    break
                continue
            quiet_for = 0.0
            for message in messages:
                event = json_format.Parse(message.data, pb.TransferEvent(), ignore_unknown_fields=True)
                emit_message(pb.StreamTransferEventsResponse(event=event))
                out.print(_line(event), markup=False, highlight=False)
                await message.ack()
                seen += 1
        await nc.flush()  # the acks reach the server before the connection closes
    finally:
        await nc.close()
    return seen


@events_app.command("follow")
def follow(
    province: Annotated[str, typer.Option("--province", help="the province's code, e.g. 450000")],
    durable: Annotated[
        str | None,
        typer.Option("--durable", help="the durable consumer's name (default: yibao-follow-<province>)"),
    ] = None,
    from_start: Annotated[
        bool,
        typer.Option(
            "--from-start",
            help="a consumer made now starts at the oldest event kept (default: the next one published)",
        ),
    ] = False,
    count: Annotated[int | None, typer.Option("--count", min=1, help="stop after N events")] = None,
    idle: Annotated[
        float | None, typer.Option("--idle", min=0.1, help="stop when no event came for this many seconds")
    ] = None,
    server: Annotated[
        str | None, typer.Option("--server", help="the NATS server (default: YIBAO_NATS_URL)")
    ] = None,
) -> None:
    """Print a province's transfer events as they come, acknowledging each.
    The durable consumer remembers what was acknowledged: run it again to
    resume. Ctrl-C stops (an event printed but not acknowledged comes again)."""
    if not re.fullmatch(r"[1-9][0-9]0000", province):
        raise typer.BadParameter("a province's 6-digit code, e.g. 450000", param_hint="--province")
    name = durable or f"yibao-follow-{province}"
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise typer.BadParameter("letters, digits, - and _", param_hint="--durable")
    settings = load_settings()
    url = server or settings.nats_url
    if not url:
        raise typer.BadParameter("set YIBAO_NATS_URL or give --server", param_hint="--server")
    import nats.errors
    from nats.js.errors import NotFoundError

    try:
        asyncio.run(_follow(settings, url, province, name, from_start, count, idle))
    except KeyboardInterrupt:
        return
    except NotFoundError:
        err.print(
            f"[red]no stream {settings.nats_stream} on {url}: the transfer service makes it "
            "when it starts with YIBAO_NATS_URL set (YIBAO_NATS_STREAM names it)[/red]"
        )
        raise typer.Exit(1) from None
    except (OSError, nats.errors.Error) as error:  # no server there, or it refused
        err.print(f"[red]nats: {error or type(error).__name__}[/red]")
        raise typer.Exit(1) from None
