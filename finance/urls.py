from . import (
    urls_account,
    urls_attestations,
    urls_bank,
    urls_budget,
    urls_payments,
    urls_reminders,
    urls_works,
)

app_name = "finance"

urlpatterns = [
    *urls_account.urlpatterns,
    *urls_budget.urlpatterns,
    *urls_payments.urlpatterns,
    *urls_works.urlpatterns,
    *urls_bank.urlpatterns,
    *urls_reminders.urlpatterns,
    *urls_attestations.urlpatterns,
]
