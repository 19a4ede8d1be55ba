from django.urls import URLPattern, URLResolver, path

from ketaclinic.inventory import views

app_name = "inventory"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.stock, name="stock"),
    path("receive/", views.receive, name="receive"),
    path("containers/<int:container_id>/", views.container, name="container"),
    path("containers/<int:container_id>/destroy/", views.destroy, name="destroy"),
    path("containers/<int:container_id>/move/", views.transfer, name="transfer"),
    path(
        "containers/<int:container_id>/ship/",
        views.registrant_transfer,
        name="registrant_transfer",
    ),
    path("containers/<int:container_id>/loss/", views.loss, name="loss"),
    path("losses/", views.loss_reports, name="loss_reports"),
    path("losses/<int:loss_report_id>/", views.loss_report, name="loss_report"),
    path("setup/", views.setup, name="setup"),
    path("setup/products/new/", views.product_new, name="product_new"),
    path("setup/locations/new/", views.location_new, name="location_new"),
    path("entries/", views.entries, name="entries"),
    path("entries/<int:ledger_entry_id>/reverse/", views.entry_reverse, name="entry_reverse"),
    path("locations/<int:location_id>/count/", views.count, name="count"),
    path("counts/<int:count_id>/", views.count_detail, name="count_detail"),
    path("count-lines/<int:line_id>/resolve/", views.resolve, name="resolve"),
    path("sessions/<int:session_id>/draw/", views.draw, name="draw"),
    path("log/", views.log, name="log"),
    path("log.csv", views.log_csv, name="log_csv"),
    path("inventories/", views.inventories, name="inventories"),
    path("inventories/<int:inventory_id>/", views.inventory_detail, name="inventory_detail"),
]
