"""Admin of municipalities, mergers, memberships and tokens — and the scoped base class the other apps'
admins share.

Scope and rights come from the one policy: a non-superuser staff member sees only the objects of their own
mergers (``Model.objects.restrict``, each model naming its way to the merger once) and may change only
what ``municipalities.permissions`` allows (``merger_access(...).allows``). Writes that have a service go through it; the plain ones record an audit
Event here, so every admin change leaves a trace.
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.events import admin_changed_event, admin_created_event, admin_deleted_event, diff, snapshot
from core.exceptions import ApplicationError

from .models import ApiToken, FeedToken, Membership, Merger, Municipality
from .permissions import Action, accesses_for, may_manage_token, merger_access
from .services import merger_dispensation_set
from .tokens import api_token_create, api_token_revoke, feed_token_revoke

# --- The shared base ------------------------------------------------------------------------------


def scope_queryset(queryset: QuerySet, user) -> QuerySet:
    """Narrow the choices of a foreign key or a filter to the user's mergers (a superuser's, reference data
    and models without a merger pass unchanged)."""
    if user.is_superuser or not hasattr(queryset, "restrict"):
        return queryset
    return queryset.restrict(user)


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin that follows the policy.

    The scope is the model's own ``merger_path`` (None for reference data such as vendors, which every staff
    member may read and only a superuser — or a holder of Django's model permission — may change).
    ``scoped``: False to show a merger-scoped model as reference data all the same (municipalities).
    ``change_action``: the policy action that changing an object needs.
    ``audit``: record an Event for plain saves and deletes (models without a service of their own).
    """

    scoped: bool = True
    change_action: Action = Action.EDIT_PLAN
    audit: bool = True

    @property
    def merger_path(self) -> str | None:
        """The model's lookup to its merger, or None when this admin shows reference data."""
        return getattr(self.model, "merger_path", None) if self.scoped else None

    # -- scope --
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if self.merger_path is None or request.user.is_superuser:
            return qs
        return qs.restrict(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset") and not request.user.is_superuser:
            field.queryset = scope_queryset(field.queryset, request.user)
        return field

    # -- rights --
    def merger_ids_of(self, obj: Model) -> list[int]:
        """The mergers an object belongs to (most belong to exactly one)."""
        if self.merger_path is None:
            return []
        if self.merger_path == "pk":
            return [obj.pk]
        value = obj
        for part in self.merger_path.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return []
            if hasattr(value, "all") and callable(value.all):  # a many-to-many hop (municipality → mergers)
                return list(value.values_list("pk", flat=True))
        return [value.pk]

    def allows(self, request: HttpRequest, action: Action, obj: Model | None = None) -> bool:
        """Whether the policy allows ``action`` on ``obj`` (on no object: in any of the user's mergers)."""
        user = request.user
        if user.is_superuser:
            return True
        if obj is None:
            return any(access.allows(action) for access in accesses_for(user).values())
        return any(merger_access(user, mid).allows(action, obj) for mid in self.merger_ids_of(obj))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        if request.user.is_superuser or self.merger_path is None:
            return True
        if obj is None:
            return bool(accesses_for(request.user))
        return self.allows(request, Action.VIEW, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if self.merger_path is None:
            return super().has_change_permission(request, obj)
        return request.user.is_staff and self.allows(request, self.change_action, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        if self.merger_path is None:
            return super().has_add_permission(request)
        return request.user.is_staff and self.allows(request, self.change_action)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if self.merger_path is None:
            return super().has_delete_permission(request, obj)
        return request.user.is_staff and self.allows(request, self.change_action, obj)

    # -- writes --
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A rule of the domain that says no is a message on the form's page, never a 500; the admin's
        transaction rolls the whole change back."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def check_scope(self, request: HttpRequest, obj: Model) -> None:
        """Re-check the saved object's scope (the form may have pointed it at another merger)."""
        if self.merger_path is not None and not self.allows(request, self.change_action, obj):
            raise PermissionDenied

    def audit_merger_id(self, obj: Model) -> int | None:
        ids = self.merger_ids_of(obj)
        return ids[0] if len(ids) == 1 else None

    def save_model(self, request, obj, form, change):
        self.check_scope(request, obj)
        names = _plain_fields(obj, form.changed_data)
        before = snapshot(type(obj)._default_manager.get(pk=obj.pk), names) if change and obj.pk else {}
        super().save_model(request, obj, form, change)
        if self.audit:
            audit_saved(request, obj, change=change, changes=diff(before, snapshot(obj, names)) if change else {},
                        merger_id=self.audit_merger_id(obj))

    def save_formset(self, request, form, formset, change):
        """Inline rows are audited like the object itself."""
        super().save_formset(request, form, formset, change)
        if not self.audit:
            return
        merger_id = self.audit_merger_id(form.instance)
        for obj in getattr(formset, "new_objects", ()):
            audit_saved(request, obj, change=False, merger_id=merger_id)
        for obj, changed in getattr(formset, "changed_objects", ()):
            audit_saved(request, obj, change=True, merger_id=merger_id, message=", ".join(changed))
        for obj in getattr(formset, "deleted_objects", ()):
            admin_deleted_event(obj=form.instance, actor=request.user, merger_id=merger_id,
                                message=f"{obj._meta.verbose_name}: {obj}")

    def delete_model(self, request, obj):
        if self.audit:
            admin_deleted_event(
                obj=obj,
                actor=request.user,
                merger_id=self.audit_merger_id(obj),
                message=str(_("Deleted in the admin")),
            )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


def _plain_fields(obj: Model, names) -> list[str]:
    """The concrete, non-many-to-many fields among ``names``."""
    result = []
    for name in names:
        try:
            field = obj._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if getattr(field, "concrete", False) and not field.many_to_many:
            result.append(name)
    return result


def audit_saved(
    request: HttpRequest, obj: Model, *, change: bool, merger_id: int | None, changes=None, message: str = ""
) -> None:
    """Record a plain admin save as an audit Event."""
    if change:
        admin_changed_event(obj=obj, actor=request.user, merger_id=merger_id, changes=changes,
                            message=message or str(_("Changed in the admin")))
    else:
        admin_created_event(obj=obj, actor=request.user, merger_id=merger_id,
                            message=message or str(_("Created in the admin")))


class ScopedInline(admin.TabularInline):
    """An inline whose rights are those of its parent object under the policy."""

    extra = 0
    #: small foreign-key tables whose choices are read once for all rows
    cached_choices: tuple[str, ...] = ()

    def _parent(self):
        return self.admin_site._registry[self.parent_model]

    def has_view_permission(self, request, obj=None) -> bool:
        return self._parent().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._parent().has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._parent().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._parent().has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset") and not request.user.is_superuser:
            field.queryset = scope_queryset(field.queryset, request.user)
        if field is not None and db_field.name in self.cached_choices:
            field.choices = list(field.choices)  # one query for every row of the inline, not one per row
        return field


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A related-field filter that offers only the choices in the user's scope (no other merger's name)."""

    def field_choices(self, field, request, model_admin):
        qs = scope_queryset(field.related_model._default_manager.all(), request.user)
        return [(obj.pk, str(obj)) for obj in qs]


class ReadOnlyAdmin(ScopedAdmin):
    """Records written only by services or tasks: visible, never added, changed or deleted here."""

    audit = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """An inline that only shows (sign-offs, comments, conversions)."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_view_permission(self, request, obj=None) -> bool:
        return self.admin_site._registry[self.parent_model].has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields or [f.name for f in self.model._meta.fields]


# --- Municipalities and mergers -------------------------------------------------------------------


@admin.register(Municipality)
class MunicipalityAdmin(ScopedAdmin):
    scoped = False  # the country's municipalities: every staff member reads them all
    list_display = ("name", "code", "county", "population", "population_year", "inferred", "source")
    list_filter = ("county", "code_inferred", "population_inferred")
    search_fields = ("name", "code")
    ordering = ("name",)

    @admin.display(boolean=True, description=_("inferred"))
    def inferred(self, obj: Municipality) -> bool:
        return obj.is_inferred


class MembershipInline(ScopedInline):
    model = Membership
    autocomplete_fields = ("user",)
    cached_choices = ("municipality", "vendor")


@admin.register(Merger)
class MergerAdmin(ScopedAdmin):
    change_action = Action.EDIT_MERGER
    list_display = (
        "name", "code", "legal_date", "dispensation_status", "dispensation_date", "gate_date", "member_count",
        "is_synthetic",
    )
    list_filter = ("dispensation_status", "is_synthetic")
    search_fields = ("name", "code")
    filter_horizontal = ("members",)
    readonly_fields = ("version", "updated_at", "gate_date")
    inlines = (MembershipInline,)
    DISPENSATION_FIELDS = ("dispensation_status", "dispensation_date", "dispensation_reference")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_members=Count("members", distinct=True))

    @admin.display(description=_("members"), ordering="_members")
    def member_count(self, obj: Merger) -> int:
        return obj._members

    @admin.display(description=_("earliest go-live"))
    def gate_date(self, obj: Merger):
        return obj.gate_date

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        """The dispensation changes through ``merger_dispensation_set`` (rules, Event, replanning); the
        other fields are saved and audited as plain admin changes."""
        changed = [f for f in self.DISPENSATION_FIELDS if f in form.changed_data]
        if not change or not changed:
            super().save_model(request, obj, form, change)
            return
        wanted = {f: getattr(obj, f) for f in self.DISPENSATION_FIELDS}
        stored = Merger.objects.get(pk=obj.pk)
        for f in self.DISPENSATION_FIELDS:
            setattr(obj, f, getattr(stored, f))
        form.changed_data[:] = [f for f in form.changed_data if f not in self.DISPENSATION_FIELDS]
        if form.changed_data:
            super().save_model(request, obj, form, change)
        updated = merger_dispensation_set(
            merger=obj,
            actor=request.user,
            status=wanted["dispensation_status"],
            date=wanted["dispensation_date"],
            reference=wanted["dispensation_reference"] or "",
        )
        for f in (*self.DISPENSATION_FIELDS, "version"):
            setattr(obj, f, getattr(updated, f))


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    change_action = Action.EDIT_MERGER
    list_display = ("user", "merger", "role", "municipality", "vendor")
    list_filter = ("role", ("merger", ScopedRelatedFilter))
    search_fields = ("user__username", "user__first_name", "user__last_name", "merger__name")
    list_select_related = ("user", "merger", "municipality", "vendor")
    autocomplete_fields = ("user", "merger", "municipality", "vendor")


# --- Tokens ---------------------------------------------------------------------------------------


class _TokenAdmin(ScopedAdmin):
    """A user's own tokens (a superuser sees all). The hash is never editable."""

    audit = False
    actions = ("revoke",)

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("user")
        return qs if request.user.is_superuser else qs.filter(user=request.user)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request, obj=None):
        return request.user.is_staff and (obj is None or may_manage_token(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(boolean=True, description=_("active"))
    def active(self, obj) -> bool:
        return obj.revoked_at is None and getattr(obj, "is_active", True)

    def _revoke(self, token, actor):
        raise NotImplementedError

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        done = 0
        for token in queryset:
            try:
                self._revoke(token, request.user)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
        self.message_user(request, ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", done) % {"n": done},
                          level=messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(_TokenAdmin):
    list_display = ("name", "user", "prefix", "read_only", "created_at", "expires_at", "last_used_at", "active")
    list_filter = ("read_only", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = ("prefix", "key_hash", "created_at", "revoked_at", "last_used_at")
    fields = ("user", "name", "read_only", "expires_at", *readonly_fields)
    autocomplete_fields = ("user",)

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "user") if obj is not None else self.readonly_fields

    def has_add_permission(self, request):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        """A new token is issued by ``api_token_create``; its raw value is shown once, here."""
        if change:
            super().save_model(request, obj, form, change)
            return

        token, raw = api_token_create(user=obj.user, name=obj.name, read_only=obj.read_only, actor=request.user)
        if obj.expires_at:
            ApiToken.objects.filter(pk=token.pk).update(expires_at=obj.expires_at)
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = token.pk, token.prefix, token.key_hash, token.created_at
        self.message_user(
            request,
            _("The token's value, shown this once: %(raw)s") % {"raw": raw},
            level=messages.WARNING,
        )

    def _revoke(self, token, actor):
        api_token_revoke(token=token, actor=actor)


@admin.register(FeedToken)
class FeedTokenAdmin(_TokenAdmin):
    list_display = ("user", "prefix", "created_at", "revoked_at", "active")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "user__username")
    readonly_fields = ("user", "prefix", "key_hash", "created_at", "revoked_at")
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def _revoke(self, token, actor):
        feed_token_revoke(token=token, actor=actor)


__all__ = [
    "ReadOnlyAdmin",
    "ReadOnlyInline",
    "ScopedAdmin",
    "ScopedInline",
    "ScopedRelatedFilter",
    "audit_saved",
    "scope_queryset",
]
