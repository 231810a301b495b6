"""Attachments in the web app: files dropped on a task (or chosen with Attach files) upload with
a progress bar and show as cards, images with a thumbnail the worker makes and a lightbox, other
files as downloads; a file can be deleted after confirming; another member's browser sees it all
live; files go with a comment; a refused upload says why; admins see the workspace's storage.
In a real browser on a real server (its worker running in the same process)."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.e2e import axe
from tests.e2e.conftest import (
    ARTIFACTS,
    Account,
    Server,
    create_task,
    make_team,
    register,
    signed_in_page,
)

SHOTS = ARTIFACTS / "attachments"
LIVE = re.compile(r"(^|\s)live($|\s)")

# A one-page PDF: enough for the server to know it as application/pdf.
PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj
trailer << /Root 1 0 R >>
%%EOF
"""


def _png(width: int, height: int, colour: str, label: str) -> bytes:
    """An image larger than a thumbnail, with something to see in it."""
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, width - 40, height - 40), outline="white", width=12)
    draw.ellipse((width // 3, height // 4, width // 3 * 2, height // 4 * 3), fill="white")
    draw.text((60, 60), label, fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _shot(where: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    where.screenshot(path=str(SHOTS / f"{name}.png"))


# Files made in the page and carried by a DataTransfer, as a drag from the desktop brings them.
_TRANSFER = """(files) => {
  const transfer = new DataTransfer();
  for (const f of files) {
    const bytes = f.b64 !== null
      ? Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))
      : new Uint8Array(f.size);
    transfer.items.add(new File([bytes], f.name, { type: f.type }));
  }
  return transfer;
}"""


def _drop(page: Any, selector: str, files: list[dict[str, Any]], *, shot: str = "") -> None:
    """Drag `files` over the element and drop them: dragenter, dragover, drop, as Chromium sends
    them for files dragged in from outside. With `shot`, photograph the page mid-drag."""
    transfer = page.evaluate_handle(_TRANSFER, files)
    page.dispatch_event(selector, "dragenter", {"dataTransfer": transfer})
    page.dispatch_event(selector, "dragover", {"dataTransfer": transfer})
    if shot:
        expect(page.locator(".drop-hint")).to_be_visible()
        _shot(page, shot)
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})
    expect(page.locator(".drop-hint")).to_have_count(0)


def _file(name: str, mime: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "type": mime, "b64": base64.b64encode(data).decode(), "size": len(data)}


def _attachments(server: Server, who: Account, ref: str) -> dict[str, dict[str, Any]]:
    with server.api() as c:
        r = c.get(f"/tasks/{ref}/attachments", headers=who.headers)
        assert r.status_code == 200, r.text
        return {a["filename"]: a for a in r.json()}


def _open_task(page: Any, project_id: str, key: str) -> Any:
    page.goto(f"/p/{project_id}/board/{key}")
    expect(page.locator(".live-indicator")).to_have_class(LIVE)
    panel = page.locator(".side-panel")
    expect(panel.get_by_role("heading", name="Attachments")).to_be_visible()
    return panel


def _no_blocking_axe(page: Any, where: str) -> None:
    found = axe.check(page)
    blocking = [v.describe() for v in found if v.blocking]
    assert blocking == [], f"{where}:\n" + "\n".join(blocking)


def test_drop_files_on_a_task_view_download_and_delete_them_while_a_teammate_watches(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    team = make_team(server, "ATT")
    task = create_task(server, team.ada, team.project_id, title="Ship the new logo")
    key = task["key"]
    outsider = register(server, "Eve Outsider")

    # Bob (a member) has the task open; he sees what Ada does, as she does it.
    bob = signed_in_page(browser, server, team.bob)
    bob_panel = _open_task(bob, team.project_id, key)
    expect(bob_panel.locator(".attachments")).to_contain_text("No files yet.")

    ada = signed_in_page(browser, server, team.ada, **axe.CONTEXT_OPTIONS)
    errors: list[str] = []
    ada.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    panel = _open_task(ada, team.project_id, key)
    section = panel.locator("section.attachments")

    # Two screenshots dropped on the task (anywhere on it): a hint while they are over it.
    logo = _png(960, 600, "#4f46e5", "logo, first take")
    sketch = _png(640, 900, "#0f766e", "sketch")
    _drop(
        ada,
        ".side-panel .task-detail",
        [_file("logo.png", "image/png", logo), _file("sketch.png", "image/png", sketch)],
        shot="drop-hint",
    )
    cards = section.get_by_role("list", name="Files of this task")
    view_logo = cards.get_by_role("button", name="View logo.png")
    view_sketch = cards.get_by_role("button", name="View sketch.png")
    expect(view_logo).to_be_visible()
    expect(view_sketch).to_be_visible()
    expect(section.get_by_role("progressbar")).to_have_count(0)
    logo_card = cards.locator("li").filter(has=ada.get_by_role("button", name="View logo.png"))
    expect(logo_card).to_contain_text(re.compile(r"\d+(\.\d)? KB · just now"))
    expect(logo_card).to_contain_text("Ada Lovelace")

    # A PDF through the Attach files button: its upload is held on its way, so the progress
    # bar can be seen; let go, it becomes a card.
    held: list[Any] = []

    def hold(route: Any) -> None:  # Playwright wants a function of its own, not a bound method
        held.append(route)

    ada.route("**/api/v1/files/uploads/**", hold)
    pdf_path = tmp_path / "release-notes.pdf"
    pdf_path.write_bytes(PDF)
    with ada.expect_request("**/api/v1/files/uploads/**"):
        panel.get_by_label("Attach files", exact=True).set_input_files(str(pdf_path))
    bar = section.get_by_role("progressbar", name="Uploading release-notes.pdf")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("aria-valuenow", re.compile(r"^\d+$"))
    _shot(section, "uploading")
    assert len(held) == 1  # the route event came before the answer the expect above waited for
    held[0].continue_()
    ada.unroute("**/api/v1/files/uploads/**")
    pdf_link = cards.get_by_role("link", name="release-notes.pdf", exact=True)
    expect(pdf_link).to_be_visible()
    expect(bar).to_have_count(0)

    # Bob's browser shows the three files, live; not his, so no Delete for him.
    bob_cards = bob_panel.get_by_role("list", name="Files of this task")
    expect(bob_cards.locator("li")).to_have_count(3)
    expect(bob_cards.get_by_role("link", name="release-notes.pdf")).to_be_visible()
    expect(bob_cards.get_by_role("button", name=re.compile("^Delete "))).to_have_count(0)
    expect(bob_panel.locator(".activity")).to_contain_text(
        "Ada Lovelace attached release-notes.pdf"
    )

    # The worker makes the thumbnails; the cards switch to them (the image itself until then).
    expect(view_logo.locator("img")).to_have_attribute("src", re.compile(r"/thumbnail$"))
    expect(view_logo.locator("img")).to_have_js_property("complete", True)
    made = _attachments(server, team.ada, key)["logo.png"]
    assert (made["width"], made["height"]) == (960, 600)
    _shot(panel, "task-with-files")

    # An image opens in the lightbox: arrows move between the images, Esc closes it (and only
    # it), and focus goes back to the image it was opened from.
    view_logo.click()
    # The two went up side by side: either may have been stored first.
    logo_shown = re.compile(r"^logo\.png, image [12] of 2$")
    sketch_shown = re.compile(r"^sketch\.png, image [12] of 2$")
    lightbox = ada.get_by_role("dialog", name=logo_shown)
    expect(lightbox).to_be_visible()
    expect(lightbox.get_by_role("img", name="logo.png")).to_have_js_property("naturalWidth", 960)
    expect(lightbox).to_contain_text("960 \u00d7 600")  # the multiplication sign
    expect(lightbox.get_by_role("button", name="Close (Esc)")).to_be_focused()
    _shot(ada, "lightbox")
    _no_blocking_axe(ada, "the lightbox")
    ada.keyboard.press("ArrowRight")
    lightbox = ada.get_by_role("dialog", name=sketch_shown)
    expect(lightbox.get_by_role("img", name="sketch.png")).to_have_js_property("naturalWidth", 640)
    ada.keyboard.press("ArrowRight")
    expect(ada.get_by_role("dialog", name=logo_shown)).to_be_visible()
    ada.keyboard.press("ArrowLeft")
    expect(ada.get_by_role("dialog", name=sketch_shown)).to_be_visible()
    ada.keyboard.press("Escape")
    expect(ada.get_by_role("dialog")).to_have_count(0)
    expect(view_logo).to_be_focused()
    expect(panel).to_be_visible()

    # The PDF downloads (the server says so: Content-Disposition attachment); images show.
    with ada.expect_download() as download:
        pdf_link.click()
    assert download.value.suggested_filename == "release-notes.pdf"
    href = pdf_link.get_attribute("href")
    assert href is not None
    first = ada.context.request.get(href, max_redirects=0)
    assert first.status == 302
    served = ada.context.request.get(href)
    assert served.ok
    assert served.headers["content-disposition"].startswith("attachment;")
    assert 'filename="release-notes.pdf"' in served.headers["content-disposition"]
    assert served.body() == PDF
    image = ada.context.request.get(str(view_logo.locator("img").get_attribute("src")))
    assert image.headers["content-type"] == "image/webp"
    assert image.headers["content-disposition"].startswith("inline;")

    # Someone outside the project cannot fetch the file, or learn that it exists.
    with server.api() as c:
        pdf_id = _attachments(server, team.ada, key)["release-notes.pdf"]["id"]
        r = c.get(f"/attachments/{pdf_id}/content", headers=outsider.headers)
        assert r.status_code == 404, r.text
        r = c.get(f"/attachments/{pdf_id}/content", headers=team.bob.headers)
        assert r.status_code == 302, r.text

    # Delete asks first; then the card goes, in Bob's browser too, and the history says so.
    cards.get_by_role("button", name="Delete release-notes.pdf").click()
    confirm = ada.get_by_role("dialog", name="Delete file")
    expect(confirm).to_contain_text("Delete release-notes.pdf?")
    _shot(confirm, "delete-confirm")
    confirm.get_by_role("button", name="Delete file").click()
    expect(pdf_link).to_have_count(0)
    expect(ada.get_by_role("status").filter(has_text="release-notes.pdf deleted.")).to_be_visible()
    expect(bob_cards.get_by_role("link", name="release-notes.pdf")).to_have_count(0)
    expect(bob_cards.locator("li")).to_have_count(2)
    activity = panel.locator(".activity")
    expect(activity).to_contain_text("Ada Lovelace attached logo.png")
    expect(activity).to_contain_text("Ada Lovelace removed release-notes.pdf")
    expect(bob_panel.locator(".activity")).to_contain_text("removed release-notes.pdf")
    _no_blocking_axe(ada, "the task with files")
    assert [e for e in errors if "404" not in e] == [], errors
    ada.context.close()
    bob.context.close()


def test_files_with_a_comment_a_refused_upload_and_the_workspace_storage(
    browser: Any, server: Server
) -> None:
    team = make_team(server, "CMF")
    task = create_task(server, team.ada, team.project_id, title="Review the wireframes")
    key = task["key"]
    bob = signed_in_page(browser, server, team.bob)
    errors: list[str] = []
    bob.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    panel = _open_task(bob, team.project_id, key)
    comments = panel.locator("section.comments")

    # Files for a comment go up first, wait in the form, and go with the comment.
    comments.get_by_label("Attach files to the comment", exact=True).set_input_files(
        [
            {
                "name": "wireframe.png",
                "mimeType": "image/png",
                "buffer": _png(700, 500, "#b45309", "wireframe"),
            },
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"Looks good, two nits.\n"},
        ]
    )  # fmt: skip
    form_uploads = comments.get_by_role("list", name="Uploads")
    expect(form_uploads.locator("li[data-phase='done']")).to_have_count(2)
    expect(form_uploads).to_contain_text("Attached")
    # Not the task's own files while the comment is being written.
    expect(panel.locator("section.attachments")).to_contain_text("No files yet.")
    comments.get_by_label("Write a comment (Markdown)").fill("Two nits, see the **notes**.")
    _shot(comments, "comment-with-files-draft")
    comments.get_by_role("button", name="Comment", exact=True).click()
    comment = comments.locator(".comment", has_text="Two nits, see the notes.")
    files = comment.get_by_role("list", name="Files of Bob Martin's comment")
    expect(files.get_by_role("button", name="View wireframe.png")).to_be_visible()
    expect(files.get_by_role("link", name="notes.txt")).to_be_visible()
    expect(form_uploads).to_have_count(0)
    expect(panel.locator("section.attachments")).to_contain_text(
        "2 more files are with the comments below."
    )
    stored = _attachments(server, team.bob, key)
    assert stored["notes.txt"]["comment_id"] == stored["wireframe.png"]["comment_id"] is not None
    _shot(comment, "comment-with-files")

    # On a phone, a comment's image opens in the lightbox too, as large as the screen allows.
    bob.set_viewport_size({"width": 390, "height": 844})
    files.get_by_role("button", name="View wireframe.png").click()
    lightbox = bob.get_by_role("dialog", name="wireframe.png, image 1 of 1")
    expect(lightbox.get_by_role("img", name="wireframe.png")).to_have_js_property(
        "naturalWidth", 700
    )
    box = lightbox.get_by_role("img", name="wireframe.png").bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 390
    _shot(bob, "lightbox-390")
    bob.keyboard.press("Escape")
    expect(lightbox).to_have_count(0)
    bob.set_viewport_size({"width": 1720, "height": 900})

    # A file larger than the limit is refused before a byte is sent, and says why.
    _drop(
        bob,
        ".side-panel .task-detail",
        [{"name": "huge.mov", "type": "video/quicktime", "b64": None, "size": 26 * 1024 * 1024}],
    )
    refused = panel.locator("section.attachments").get_by_role("alert")
    expect(refused).to_have_text("huge.mov: Too large: files can be at most 25 MB.")
    # The same file would be refused again: no Retry, only Dismiss.
    expect(panel.get_by_role("button", name="Retry huge.mov")).to_have_count(0)
    _shot(panel.locator("section.attachments"), "refused-upload")
    panel.get_by_role("button", name="Dismiss huge.mov").click()
    expect(refused).to_have_count(0)
    assert [e for e in errors if "413" not in e] == [], errors

    # The workspace's owner sees what the files take.
    ada = signed_in_page(browser, server, team.ada)
    ada.goto(f"/w/{team.workspace_id}/settings")
    storage = ada.get_by_role("region", name="Storage")
    expect(storage).to_have_attribute("data-ready", "true")
    expect(storage).to_contain_text("used of 10 GB")
    expect(storage).to_contain_text("2 files on the workspace's tasks")
    expect(storage).to_contain_text("Each file can be up to 25 MB.")
    meter = storage.get_by_role("meter", name="Storage used")
    expect(meter).to_have_attribute("max", str(10 * 1024**3))
    _shot(storage, "storage")
    # A member has no storage panel (the API answers it to owners and admins only).
    bob.goto(f"/w/{team.workspace_id}/settings")
    expect(bob.get_by_role("heading", name="Workspace settings")).to_be_visible()
    expect(bob.get_by_role("region", name="Members")).to_be_visible()
    expect(bob.get_by_role("region", name="Storage")).to_have_count(0)
    ada.context.close()
    bob.context.close()
