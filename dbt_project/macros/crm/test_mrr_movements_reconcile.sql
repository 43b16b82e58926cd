{#- MRR bridge: per account, previous_mrr is last month's mrr (0 in the first month) and
    previous MRR + new + expansion + contraction + churned + reactivation = MRR, every month.
    Fails for each account-month where either breaks (to the cent). -#}
{% test mrr_movements_reconcile(model, partition_by='account_id', order_by='month_start') %}
    with

    bridged as (

        select
            {{ partition_by }},
            {{ order_by }},
            mrr,
            previous_mrr,
            mrr_change,
            coalesce(
                lag(mrr) over (partition by {{ partition_by }} order by {{ order_by }}), 0
            ) as last_month_mrr,
            previous_mrr + new_mrr + expansion_mrr + contraction_mrr + churned_mrr
            + reactivation_mrr as bridged_mrr

        from {{ model }}

    )

    select *
    from bridged
    where
        abs(bridged_mrr - mrr) >= 0.005
        or abs(previous_mrr - last_month_mrr) >= 0.005
        or abs(mrr_change - (mrr - previous_mrr)) >= 0.005
{% endtest %}
