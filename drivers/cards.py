"""Drivers' cards: add one (pending approval if the operator wants it), block a lost one.

A token's status says what stations are told; a `CardRequest` records that the driver
added the card and whether an operator has approved it. Tokens are written by the
station services (stations/services/authorization.py); every change marks the local
authorisation lists stale, so the block reaches stations on the next sync.
"""

from django.contrib import admin
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import CardRequest
from drivers.charging import cards_need_approval
from stations.models import IdToken
from stations.services.authorization import id_token_create, id_token_status_set
from stations.services.local_lists import local_lists_tokens_changed


class CardError(Exception):
    pass


def driver_card(driver, pk: int) -> IdToken:
    card = driver.id_tokens.filter(pk=pk).first()
    if card is None:
        raise Http404
    return card


def card_state(card: IdToken) -> str:
    """What the driver reads: pending, or the token's own status."""
    request = getattr(card, "card_request", None)
    if request is not None and request.status == CardRequest.Status.PENDING:
        return "pending"
    return card.effective_status()


@transaction.atomic
def card_add(*, driver, value: str, label: str = "") -> IdToken:
    """A new card for the driver; blocked and pending when operators approve cards."""
    value = value.strip()
    if not value or len(value) > 20:
        raise CardError(_("A card number has 1 to 20 characters."))
    if IdToken.objects.filter(value__iexact=value).exists():
        raise CardError(_("This card is already registered."))
    pending = cards_need_approval()
    card = id_token_create(
        value=value,
        owner=driver,
        label=label[:100],
        status=IdToken.Status.BLOCKED if pending else IdToken.Status.ACCEPTED,
    )
    CardRequest.objects.create(
        id_token=card,
        driver=driver,
        status=CardRequest.Status.PENDING if pending else CardRequest.Status.APPROVED,
        decided_at=None if pending else timezone.now(),
    )
    local_lists_tokens_changed()
    return card


@transaction.atomic
def card_block(*, driver, card: IdToken) -> IdToken:
    """Block the driver's (lost) card at once; only an operator unblocks it."""
    if card.owner_id != driver.pk:
        raise Http404
    id_token_status_set(token_pk=card.pk, status=IdToken.Status.BLOCKED)
    card.status = IdToken.Status.BLOCKED
    CardRequest.objects.filter(id_token=card, status=CardRequest.Status.PENDING).update(
        status=CardRequest.Status.REFUSED, decided_at=timezone.now()
    )
    local_lists_tokens_changed()
    return card


@transaction.atomic
def card_request_decide(*, request: CardRequest, approve: bool) -> None:
    """An operator's answer to a pending card."""
    request.status = CardRequest.Status.APPROVED if approve else CardRequest.Status.REFUSED
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    if approve:
        id_token_status_set(token_pk=request.id_token_id, status=IdToken.Status.ACCEPTED)
        local_lists_tokens_changed()


@admin.register(CardRequest)
class CardRequestAdmin(admin.ModelAdmin):
    list_display = ["id_token", "driver", "status", "requested_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["id_token__value", "driver__username", "driver__email"]
    readonly_fields = ["id_token", "driver", "status", "requested_at", "decided_at"]
    actions = ["approve", "refuse"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=gettext_lazy("Approve the selected cards"))
    def approve(self, request, queryset):
        for card_request in queryset.filter(status=CardRequest.Status.PENDING):
            card_request_decide(request=card_request, approve=True)

    @admin.action(description=gettext_lazy("Refuse the selected cards"))
    def refuse(self, request, queryset):
        for card_request in queryset.filter(status=CardRequest.Status.PENDING):
            card_request_decide(request=card_request, approve=False)
