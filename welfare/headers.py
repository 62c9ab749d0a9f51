"""Headers that keep personal data where it belongs: pages and files shown to a
signed-in user are never stored by the browser or a proxy, and every page may
load only this site's own scripts, styles and images."""

from django.urls import reverse
from django.utils.cache import add_never_cache_headers

# The only inline style: the error pages' <style> element, drawn without static
# files (tests/security/test_headers.py checks that the hash still matches).
ERROR_PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}"
)
ERROR_PAGE_STYLE_HASH = "sha256-MS7VcCgzGPgnfaPm+niSp7aM1NNgPw8Vn/4cSfE4gRg="

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        # Bootstrap draws select arrows and check marks as data: SVG images.
        "img-src 'self' data:",
        f"style-src 'self' '{ERROR_PAGE_STYLE_HASH}'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def public_paths():
    """Pages without personal data, the same for everyone: caches may keep them."""
    return {reverse("stats"), reverse("about")}


def session_read(request):
    """Whether the request read its session (and so may show a signed-in
    user's data): a page that did not shows nothing of anyone's."""
    session = getattr(request, "session", None)
    return session is not None and session.accessed


def kept_by_caches(response):
    cache_control = response.headers.get("Cache-Control", "")
    return "public" in {part.strip() for part in cache_control.split(",")}


class PrivacyHeadersMiddleware:
    """Listed before the session and CSRF middleware, so that it sees their
    cookies: an answer that caches may keep (Cache-Control: public, the same for
    everyone) carries none. A stale session cookie would otherwise be deleted, or
    a malformed CSRF cookie replaced, by a Set-Cookie that a proxy would keep
    and give to every reader."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if kept_by_caches(response):
            response.cookies.clear()
            return response
        if (
            "Cache-Control" not in response.headers
            and session_read(request)
            and request.user.is_authenticated
            and request.path not in public_paths()
        ):
            add_never_cache_headers(response)
        return response
