"""How gunicorn delivers the app's own files to a phone on a bad network: compressed when the
phone accepts it, and kept for ever when the URL names the file's content hash."""
import gzip
import re
import urllib.error
import urllib.request

from tests.browser import ROOT


def fetch(url, **headers):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as reply:
        return reply.status, dict(reply.headers), reply.read()


def revisioned(live_server, name):
    """The URL a page names for a static file (with its ?v= content hash)."""
    _, _, body = fetch(live_server.url + "/login")
    return re.search(rf'(/static/{re.escape(name)}\?v=[0-9a-f]+)', body.decode()).group(1)


def test_scripts_styles_and_the_service_worker_are_gzipped_when_accepted(live_server):
    for path in ("/static/js/store.js", revisioned(live_server, "css/app.css"), "/sw.js"):
        status, headers, body = fetch(live_server.url + path, **{"Accept-Encoding": "gzip, br"})
        assert status == 200 and headers.get("Content-Encoding") == "gzip", path
        assert "Accept-Encoding" in headers.get("Vary", ""), path
        plain = gzip.decompress(body)
        assert len(body) < len(plain) / 2, path  # text compresses to well under half
        if path.startswith("/static/"):
            assert plain == (ROOT / path.split("?")[0].lstrip("/")).read_bytes()
        # A client that does not accept gzip gets the file as it is.
        _, headers, body = fetch(live_server.url + path)
        assert "Content-Encoding" not in headers and body == plain, path


def test_a_file_named_by_its_content_hash_is_kept_and_one_without_is_revalidated(live_server):
    _, headers, _ = fetch(live_server.url + revisioned(live_server, "css/app.css"))
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Module imports name files without the hash: the browser must ask again.
    _, headers, _ = fetch(live_server.url + "/static/js/store.js")
    assert headers["Cache-Control"] == "no-cache"
    # A stale hash (an old page asking for a file that has changed) is not kept for ever.
    _, headers, _ = fetch(live_server.url + "/static/css/app.css?v=0000000000")
    assert headers["Cache-Control"] == "no-cache"


def test_pages_and_api_answers_are_not_compressed(live_server):
    """A page carries the CSRF token beside text the user typed (a search): compressing both
    together would leak the token by its length (BREACH), so only the app's own files are."""
    _, headers, _ = fetch(live_server.url + "/login", **{"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in headers


def test_a_compressed_file_is_revalidated_without_sending_it_again(live_server):
    _, headers, _ = fetch(live_server.url + "/static/js/store.js", **{"Accept-Encoding": "gzip"})
    assert headers["ETag"].startswith('W/"')
    try:
        status = fetch(live_server.url + "/static/js/store.js",
                       **{"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]})[0]
    except urllib.error.HTTPError as not_modified:
        status = not_modified.code
    assert status == 304
