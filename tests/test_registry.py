"""The copyright database: registration with proof, review, conflicts between claimants."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import ImageOps

from safeharbor.errors import Conflict, Forbidden, InvalidInput
from safeharbor.platform import Platform
from safeharbor.registry.models import WorkStatus
from safeharbor.registry.service import ProofInput
from tests.conftest import photo, save


def register(platform: Platform, holder_id: int, path: Path, **kw: object):  # noqa: ANN201
    with platform.unit() as svc:
        return svc.registry.register(svc.accounts.get(holder_id), path, **kw)  # type: ignore[arg-type]


def screen(platform: Platform, path: Path, uploader_id: int | None = None) -> str:
    with platform.unit() as svc:
        up = svc.accounts.get(uploader_id) if uploader_id else None
        return svc.screening.screen_file(path, uploader=up).verdict.decision.value


def test_registration_keeps_proofs_and_waits_for_review(platform, people, tmp_path):
    work_file = save(photo(1), tmp_path / "poster.jpg")
    proof_doc = tmp_path / "contract.pdf"
    proof_doc.write_bytes(b"%PDF-1.4 assignment of copyright")
    reg = register(
        platform,
        people["holder"].id,
        work_file,
        certificate_number="国作登字-2026-F-00012345",
        statement="We shot this photograph.",
        proofs=[ProofInput("document", proof_doc), ProofInput("statement", note="We shot it.")],
    )
    assert reg.work.status == WorkStatus.PENDING
    assert reg.work.title == "poster"
    assert reg.work.work_type == "image"
    with platform.unit() as svc:
        work = svc.registry.get(reg.work.id)
        kinds = sorted(p.kind for p in work.proofs)
        assert kinds == ["document", "statement"]
        doc = next(p for p in work.proofs if p.kind == "document")
        assert platform.blobs.has(doc.sha256)  # the proof document itself is kept
    # Not yet a reference: an identical upload passes the screen.
    assert screen(platform, work_file, people["uploader"].id) == "allow"


def test_only_approved_works_become_references(platform, people, tmp_path):
    work_file = save(photo(2), tmp_path / "a.jpg")
    reg = register(platform, people["holder"].id, work_file)
    with platform.unit() as svc:
        svc.registry.review(
            reg.work.id,
            "request_info",
            svc.accounts.get(people["reviewer"].id),
            note="send the original RAW file",
        )
    assert screen(platform, work_file) == "allow"
    with platform.unit() as svc:
        work = svc.registry.add_proof(
            reg.work.id,
            ProofInput("statement", note="RAW attached"),
            svc.accounts.get(people["holder"].id),
            None,
        )
        assert work.status == WorkStatus.PENDING
        svc.registry.review(reg.work.id, "approve", svc.accounts.get(people["reviewer"].id))
    assert screen(platform, work_file) == "block"  # an exact copy of an approved image

    rejected = register(platform, people["holder"].id, save(photo(3), tmp_path / "b.jpg"))
    with platform.unit() as svc:
        svc.registry.review(
            rejected.work.id, "reject", svc.accounts.get(people["reviewer"].id), note="not yours"
        )
    assert screen(platform, tmp_path / "b.jpg") == "allow"


def test_only_reviewers_review_and_holders_register(platform, people, tmp_path):
    reg = register(platform, people["holder"].id, save(photo(4), tmp_path / "c.jpg"))
    with platform.unit() as svc, pytest.raises(Forbidden):
        svc.registry.review(reg.work.id, "approve", svc.accounts.get(people["holder"].id))
    with platform.unit() as svc, pytest.raises(Forbidden):
        svc.registry.register(svc.accounts.get(people["uploader"].id), tmp_path / "c.jpg")
    with platform.unit() as svc, pytest.raises(InvalidInput):
        svc.registry.review(reg.work.id, "request_info", svc.accounts.get(people["reviewer"].id))


def test_same_holder_cannot_register_the_same_file_twice(platform, people, tmp_path):
    path = save(photo(5), tmp_path / "d.jpg")
    register(platform, people["holder"].id, path)
    with pytest.raises(Conflict, match="already registered"):
        register(platform, people["holder"].id, path)


def test_two_holders_claiming_the_same_content_is_a_conflict(platform, people, tmp_path):
    original = save(photo(6), tmp_path / "orig.jpg")
    first = register(platform, people["holder"].id, original)
    with platform.unit() as svc:
        svc.registry.review(first.work.id, "approve", svc.accounts.get(people["reviewer"].id))
    # The rival registers a re-encoded, mirrored copy of the same picture.
    rival_copy = save(ImageOps.mirror(photo(6)), tmp_path / "mine.jpg", quality=60)
    second = register(platform, people["holder2"].id, rival_copy)
    assert second.work.status == WorkStatus.CONFLICT
    assert [c.other_work_id for c in second.conflicts] == [first.work.id]
    with platform.unit() as svc:
        assert svc.registry.get(first.work.id).status == WorkStatus.APPROVED  # untouched
        assert [c.work_id for c in svc.registry.conflicts()] == [second.work.id]
        # The reviewer awards the content to the first claimant.
        svc.registry.review(
            second.work.id,
            "reject",
            svc.accounts.get(people["reviewer"].id),
            note="first holder showed the negatives",
        )
        assert svc.registry.conflicts() == []
        assert svc.registry.get(first.work.id).status == WorkStatus.APPROVED


def test_conflict_between_two_pending_claims_resolved_by_approval(platform, people, tmp_path):
    a = register(platform, people["holder"].id, save(photo(7), tmp_path / "x.jpg"))
    b = register(platform, people["holder2"].id, save(photo(7), tmp_path / "y.png", "PNG"))
    assert b.work.status == WorkStatus.CONFLICT
    with platform.unit() as svc:
        assert svc.registry.get(a.work.id).status == WorkStatus.CONFLICT
        svc.registry.review(b.work.id, "approve", svc.accounts.get(people["reviewer"].id))
        assert svc.registry.get(a.work.id).status == WorkStatus.REJECTED
        conflict = svc.registry.conflicts(status="resolved")[0]
        assert f"work {b.work.id}" in (conflict.resolution or "")


def test_unrelated_works_of_two_holders_do_not_conflict(platform, people, tmp_path):
    register(platform, people["holder"].id, save(photo(8), tmp_path / "p.jpg"))
    other = register(platform, people["holder2"].id, save(photo(9), tmp_path / "q.jpg"))
    assert other.work.status == WorkStatus.PENDING
    assert other.conflicts == []


def test_a_rolled_back_registration_never_becomes_a_reference(platform, people, tmp_path):
    ghost = save(photo(19), tmp_path / "ghost.jpg")
    with pytest.raises(RuntimeError), platform.unit() as svc:
        reg = svc.registry.register(svc.accounts.get(people["holder"].id), ghost)
        svc.registry.review(reg.work.id, "approve", svc.accounts.get(people["reviewer"].id))
        assert screen(platform, ghost) == "allow"  # uncommitted: not visible to the screen
        raise RuntimeError("the request failed after registering")
    # The next work may reuse the rolled-back ids; the ghost's fingerprints must not
    # be attributed to it.
    real = register(platform, people["holder"].id, save(photo(20), tmp_path / "real.jpg"))
    with platform.unit() as svc:
        svc.registry.review(real.work.id, "approve", svc.accounts.get(people["reviewer"].id))
    assert screen(platform, ghost) == "allow"
    assert screen(platform, tmp_path / "real.jpg") == "block"
