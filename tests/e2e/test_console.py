"""The console desk end to end: the real ``tierdesk run`` process, typed at like a person."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.console_process import ConsoleProcess, write_config


async def test_whole_story_in_the_terminal(tmp_path: Path) -> None:
    desk = await ConsoleProcess.start(write_config(tmp_path))
    await desk.expect(r"You are sam \(requester\)")

    await desk.send("my vpn keeps disconnecting")
    await desk.expect(r"These articles might help")
    await desk.choose("I still need help")
    await desk.expect(r"Who is affected\?")
    await desk.choose("A group of people")
    await desk.expect(r"Can you still work\?")
    await desk.send("no, blocked")  # free text instead of a number
    await desk.expect(r"How urgent is it for you\?")
    await desk.choose("Right now")
    await desk.choose("Network, VPN & Wi-Fi")
    await desk.expect(r"Anything else we should know\?")
    await desk.send("Since this morning, the whole sales team")
    await desk.expect(r"Ready to open this ticket\?")
    await desk.choose("Open ticket")
    await desk.expect(r"Ticket #1: my vpn keeps disconnecting")
    await desk.expect(r"^\[#L1\]")
    await desk.expect(r"\*#1 · S1 Critical · my vpn keeps disconnecting\*")

    await desk.send("/as agent alice")
    await desk.expect(r"You are alice \(agent of L1\)")
    await desk.send("/claim 1")
    await desk.expect(r"\[#L1\] \(card updated\)")
    await desk.expect(r"alice is now working on #1")
    await desk.send("/reply 1 Please try the backup gateway")
    await desk.expect(r"> Please try the backup gateway")

    await desk.send("/as requester sam")
    await desk.send("the backup gateway works but it is slow")
    await desk.expect(r"Added to #1")
    await desk.send("/as agent alice")
    await desk.send("/escalate 1 needs a firewall change")
    await desk.expect(r"^\[#L2\]")
    await desk.expect(r"#1 is now with L2")

    await desk.send("/resolve 1 nope")
    await desk.expect(r"Only L2 agents can act on #1")
    await desk.send("/as agent bob")
    await desk.send("/resolve 1 firewall rule fixed")
    await desk.expect(r"\[@sam\]")
    await desk.expect(r"Ticket #1 is resolved")
    await desk.expect(r"Resolution: firewall rule fixed")

    await desk.send("/as requester sam")
    await desk.send("/mytickets")
    await desk.expect(r"#1\s+S1\s+Right now\s+Resolved")
    await desk.send("/quit")
    assert await desk.finish() == 0


async def test_restart_resumes_mid_conversation(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    first = await ConsoleProcess.start(config)
    await first.send("the office printer shows error 79")
    await first.expect(r"Who is affected\?|These articles might help")
    if "These articles might help" in first.output:
        await first.choose("I still need help")
        await first.expect(r"Who is affected\?")
    await first.choose("Just me")
    await first.expect(r"Can you still work\?")
    first.proc.kill()
    await first.proc.wait()

    second = await ConsoleProcess.start(config)
    await second.expect(r"You are sam")
    await second.send("yes but limited")
    await second.expect(r"How urgent is it for you\?")
    await second.send("/quit")
    assert await second.finish() == 0
