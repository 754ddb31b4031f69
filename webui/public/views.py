"""Public catalogue pages for investors (territorial marketing); never a person.

Every page is public (no login) and exists once per language, with the language in the path
(/catalogue/fr/resources/12-centre-d-usinage), so each can be indexed, linked and shared as it is:

    /catalogue/                                   -> the visitor's language
    /catalogue/<lang>/                            overview: key figures, map, supply chains
    /catalogue/<lang>/resources/                  resources, with filters and pages
    /catalogue/<lang>/resources/<id>-<slug>       one resource, with the contact form
    /catalogue/<lang>/skills/[<region>/]          skills of the area, in counts that identify no one
    /catalogue/<lang>/contact/                    a message to the help desks
    /catalogue/photos/<resource>/<file>           a public photo of a public resource
    /catalogue/sitemap.xml, /robots.txt

What the pages show comes from `databank.public` only: public fields of published, available resources,
and aggregates of profiles with small counts suppressed.
"""
from __future__ import annotations

from typing import Any

from flask import (
    Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from databank import ResourceQuery
from databank.errors import EntryInvalid, EntryNotFound
from databank.models import Resource
from databank.public import (
    THRESHOLD, area_map_svg, area_skills, catalogue, mapped_resources, overview, public_photo, public_resource,
    slug,
)
from databank.photos import SIZES as PHOTO_SIZES
from databank.photos import PhotoUnreadable, public_rendition
from databank.territory import gazetteer
from databank.vocabulary import CATEGORIES, CHAIN_BITS, OFFERS, label
from engine.db import writing

from ..routing import absolute_url_for, database_id
from ..i18n import select_locale
from ..notifications.enquiries import queue_enquiry
from ..portal.invitations import send_now
from ..services import databank, db, services
from .forms import ContactForm, ResourceFilterForm
from .throttle import admit_enquiry

bp = Blueprint("public", __name__, template_folder="templates")

LANGUAGES = ("it", "fr", "en")
LANG = "<any(it,fr,en):lang>"
PER_PAGE = 12
PHOTO_MAX_AGE = 24 * 3600


@bp.url_value_preprocessor
def _page_language(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values and values.get("lang") in LANGUAGES:
        g.page_language = values["lang"]


@bp.url_defaults
def _same_language(endpoint: str, values: dict[str, Any]) -> None:
    if "lang" not in values and g.get("page_language") and \
            current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = g.page_language


@bp.record_once
def _robots(state: Any) -> None:
    state.app.add_url_rule("/robots.txt", "public_robots", robots)


def robots() -> Response:
    """Crawlers may read the catalogue; everything else is behind a login and of no use to them."""
    text = "\n".join(["User-agent: *", "Allow: /catalogue/", "Disallow: /catalogue/photos/", "Disallow: /",
                      f"Sitemap: {absolute_url_for('public.sitemap')}", ""])
    return _cacheable(Response(text, mimetype="text/plain"), 3600)


# --- pages -------------------------------------------------------------------------------------------

@bp.get("/")
def index() -> Response:
    response = redirect(url_for(".overview_page", lang=select_locale()))
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


@bp.get(f"/{LANG}/")
def overview_page(lang: str) -> str:
    figures = overview(db(), lang)
    resources = mapped_resources(db(), lang)
    return render_template("public/overview.html", figures=figures, resources=resources,
                           map_svg=_map(resources, lang), regions=_regions(lang),
                           alternates=_alternates(".overview_page"), threshold=THRESHOLD)


@bp.get(f"/{LANG}/resources/")
def resources_page(lang: str) -> str:
    form = ResourceFilterForm(request.args)
    form.category.choices = [("", _("All categories"))] + [(c, label("category", c, lang)) for c in CATEGORIES]
    form.region.choices = [("", _("All regions"))] + [(r.code, r.name(lang)) for r in _regions(lang)]
    form.chain.choices = [("", _("All supply chains"))] + [(c, label("supply_chain", c, lang)) for c in CHAIN_BITS]
    form.offer.choices = [("", _("Any availability"))] + [(o, label("offer", o, lang)) for o in OFFERS]
    form.validate()

    def chosen(field: Any) -> tuple[str, ...]:
        known = {code for code, _name in field.choices if code}
        return (field.data,) if field.data in known else ()

    page = request.args.get("page", "1")
    page_number = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    query = ResourceQuery(text=(form.q.data or "")[:200] if not form.q.errors else "",
                          categories=chosen(form.category), regions=chosen(form.region),
                          supply_chains=chosen(form.chain), offers=chosen(form.offer), page=page_number,
                          per_page=PER_PAGE)
    result = catalogue(db(), query, lang)
    filtered = any((query.text, query.categories, query.regions, query.supply_chains, query.offers))
    arguments = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("public/resources.html", form=form, result=result, filtered=filtered,
                           arguments=arguments, map_svg=_map(result.items, lang),
                           alternates=_alternates(".resources_page", page=page_number if page_number > 1 else None))


@bp.get(f"/{LANG}/resources/<int:resource_id>")
def resource_short(lang: str, resource_id: int) -> Response:
    record = public_resource(db(), resource_id, lang) or abort(404)
    return redirect(url_for(".resource_page", lang=lang, resource_id=resource_id, title_slug=slug(record["title"])),
                    301)


@bp.route(f"/{LANG}/resources/<int:resource_id>-<title_slug>", methods=["GET", "POST"])
def resource_page(lang: str, resource_id: int, title_slug: str) -> Any:
    record = public_resource(db(), resource_id, lang)
    if record is None:
        abort(404)
    canonical_slug = slug(record["title"])
    if title_slug != canonical_slug and request.method == "GET":  # an old or shortened link: the current one
        return redirect(url_for(".resource_page", lang=lang, resource_id=resource_id, title_slug=canonical_slug),
                        301)
    form = ContactForm()
    form.region.choices = []
    outcome = _contact(form, lang, resource_id=resource_id)
    if outcome is not None and not isinstance(outcome, int):
        return outcome
    return render_template("public/resource.html", resource=record, form=form, map_svg=_map([record], lang),
                           alternates=_alternates(".resource_page", resource_id=resource_id,
                                                  title_slug=canonical_slug)), outcome or 200


@bp.route(f"/{LANG}/contact/", methods=["GET", "POST"])
def contact_page(lang: str) -> Any:
    form = ContactForm()
    form.region.choices = [("", _("The whole cooperation area"))] + [(r.code, r.name(lang)) for r in _regions(lang)]
    if request.method == "GET" and request.args.get("region") in {r.code for r in _regions(lang)}:
        form.region.data = request.args["region"]
    outcome = _contact(form, lang, resource_id=None)
    if outcome is not None and not isinstance(outcome, int):
        return outcome
    return render_template("public/contact.html", form=form, alternates=_alternates(".contact_page")), outcome or 200


@bp.get(f"/{LANG}/contact/sent")
def contact_sent(lang: str) -> str:
    resource_id = database_id(request.args.get("resource"))
    record = public_resource(db(), resource_id, lang) if resource_id is not None else None
    return render_template("public/sent.html", resource=record, alternates=_alternates(".contact_sent"))


@bp.get(f"/{LANG}/skills/")
@bp.get(f"/{LANG}/skills/<area>/")
def skills_page(lang: str, area: str = "") -> str:
    if area and area not in {r.code for r in _regions(lang)}:
        abort(404)
    skills = area_skills(db(), area, lang)
    return render_template("public/skills.html", skills=skills, area=area, regions=_regions(lang),
                           alternates=_alternates(".skills_page", area=area or None))


# --- photos, sitemap ---------------------------------------------------------------------------------

@bp.get("/photos/<int:resource_id>/<int:file_id>")
@bp.get("/photos/<int:resource_id>/<int:file_id>/<int:size>")
def photo(resource_id: int, file_id: int, size: int = 1280) -> Response:
    """Only a photo marked public, of a published available resource; never a document or another file. Never
    the uploaded bytes either: a rendition re-encoded at one of the catalogue's sizes, without metadata."""
    if size not in PHOTO_SIZES:
        abort(404)
    row = public_photo(db(), resource_id, file_id)
    if row is None:
        abort(404)
    etag = f"{row.sha256[:32]}-{size}"
    if request.if_none_match.contains(etag):
        return _cacheable(Response(status=304, headers={"ETag": f'"{etag}"'}), PHOTO_MAX_AGE)
    try:
        content, content_type = public_rendition(services().files.read(row.sha256), size)
    except (PhotoUnreadable, FileNotFoundError):
        abort(404)
    response = Response(content, mimetype=content_type)
    response.set_etag(etag)
    response.headers["Content-Disposition"] = "inline"
    return _cacheable(response, PHOTO_MAX_AGE)


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    pages: list[dict[str, Any]] = []
    for endpoint, values in ((".overview_page", {}), (".resources_page", {}), (".skills_page", {}),
                             (".contact_page", {})):
        pages.append(_urls(endpoint, values))
    for region in _regions("en"):
        pages.append(_urls(".skills_page", {"area": region.code}))
    rows = db().execute(select(Resource.id, Resource.title, Resource.updated_at).where(
        Resource.published.is_(True), Resource.status == "available").order_by(Resource.id))
    for resource_id, title, updated_at in rows:
        entry = _urls(".resource_page", {"resource_id": resource_id, "title_slug": slug(title)})
        entry["lastmod"] = updated_at.date().isoformat() if updated_at else None
        pages.append(entry)
    xml = render_template("public/sitemap.xml", pages=pages)
    return _cacheable(Response(xml, mimetype="application/xml"), 3600)


# --- helpers -----------------------------------------------------------------------------------------

def _contact(form: ContactForm, lang: str, resource_id: int | None) -> Response | int | None:
    """Handle a posted contact form: a redirect when it was sent, a status code when it was refused (the
    form keeps what was written and says why), None for a plain GET."""
    if request.method != "POST":
        return None
    if not form.validate_on_submit():
        return 400
    if not admit_enquiry(request.remote_addr or ""):
        form.message.errors = list(form.message.errors) + [
            _("Too many messages from your connection in the last hour. Please try again later.")]
        return 429
    sent = url_for(".contact_sent", lang=lang, resource=resource_id)
    if form.website.data:
        return redirect(sent, 303)  # a robot: it learns nothing, nothing is stored
    bank = databank()
    data = {"name": form.name.data, "email": form.email.data, "organisation": form.organisation.data or "",
            "message": form.message.data, "language": lang}
    if resource_id is not None:
        data["resource_id"] = resource_id
    elif form.region.data:
        data["region"] = form.region.data
    try:
        request_id = bank.submit_contact_request(data)
    except EntryInvalid as refusal:
        for name, messages in refusal.field_errors(lang).items():
            field = getattr(form, name, None) or form.message
            field.errors = list(field.errors) + messages
        return 400
    except EntryNotFound:
        abort(404)
    with writing(services().sessions).begin() as session:
        message_ids = queue_enquiry(session, request_id)
    send_now(message_ids)  # what fails stays in the outbox for `opera notify`
    return redirect(sent, 303)


def _regions(lang: str) -> list[Any]:
    return sorted(gazetteer().children(None, "region"), key=lambda r: (r.country != "IT", r.name(lang)))


def _map(records: list[dict[str, Any]], lang: str) -> Markup:
    svg = area_map_svg(records, lang, embedded=True, href=lambda r: url_for(
        ".resource_page", lang=lang, resource_id=r["id"], title_slug=slug(r["title"])))
    return Markup(svg)  # noqa: S704 - built by databank.public, every text in it escaped


def _alternates(endpoint: str, **values: Any) -> dict[str, str]:
    """The same page in each language (absolute URLs, for hreflang and the canonical link)."""
    values = {k: v for k, v in values.items() if v is not None}
    return {code: absolute_url_for(endpoint, lang=code, **values) for code in LANGUAGES}


def _urls(endpoint: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"alternates": _alternates(endpoint, **values), "lastmod": None}


def _cacheable(response: Response, seconds: int) -> Response:
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    return response


@bp.context_processor
def _helpers() -> dict[str, Any]:
    def resource_url(record: dict[str, Any], external: bool = False) -> str:
        build = absolute_url_for if external else url_for
        return build("public.resource_page", resource_id=record["id"], title_slug=slug(record["title"]))

    def photo_url(record: dict[str, Any], photo: dict[str, Any], size: int = 1280) -> str:
        return url_for("public.photo", resource_id=record["id"], file_id=photo["id"], size=size)

    return {"resource_url": resource_url, "photo_url": photo_url, "languages": LANGUAGE_NAMES}


LANGUAGE_NAMES = (("it", "Italiano"), ("fr", "Français"), ("en", "English"))
