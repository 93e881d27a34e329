from . import urls_account, urls_budget, urls_payments

app_name = "finance"

urlpatterns = [
    *urls_account.urlpatterns,
    *urls_budget.urlpatterns,
    *urls_payments.urlpatterns,
]
