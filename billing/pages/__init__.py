"""The Billing section of the operator's pages: tariffs with a price preview, issuing
invoices and credit notes, the operator profile invoices need, drivers' balances.

Reports and the invoice documents are in billing/views.py; card requests, which the
drivers app decides, are in drivers/operator_pages.py.
"""
