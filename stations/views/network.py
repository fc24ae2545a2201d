"""The network overview: what every station is doing now, per site."""

from stations import selectors
from stations.views.access import operator_required
from stations.views.common import live_config, render_page, status_labels


@operator_required
def overview(request):
    context = {
        "overview": selectors.network_overview(),
        "live": live_config("network"),
        "status_labels": status_labels(),
    }
    return render_page(
        request,
        "dashboard/overview.html",
        context,
        fragments={"body": "dashboard/_overview_body.html"},
    )
