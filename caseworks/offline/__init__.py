"""The phone app: what makes caseworks installable and usable without signal.

The web app manifest and the service worker (served from the site's root so that it controls
every page), the "待发送" outbox page, the fallback page shown for a page not kept on the phone,
and the list of the user's own pages that the service worker keeps for offline use. The outbox
itself lives in the browser (static/js/); it sends through the API's idempotent visit POST.
"""
