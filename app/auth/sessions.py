"""The session cookie, written only when it should be: a request that came with a session
ended elsewhere (signed out, password changed) and is not a page the user opened, a script's
or the service worker's late fetch, never writes it. Its answer would put that ended
session back in place of the one the browser holds now, a newer sign-in on a shared phone."""
from flask import g, request
from flask.sessions import SecureCookieSessionInterface


class GuardedSessionInterface(SecureCookieSessionInterface):
    def save_session(self, app, session, response):
        if g.get("session_expired") and request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate":
            return  # neither write nor delete: the browser's cookie may already be a newer one
        super().save_session(app, session, response)
