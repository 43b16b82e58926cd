{#- The columns of a channel ROI mart at one time grain: key, measures and the ratios
    (ROAS = attributed revenue / spend, CPL = spend / leads, CAC = spend / customers; null when
    the denominator is zero). Daily and monthly marts share it so their ratios cannot drift. -#}
{% macro channel_roi_columns(period_column) -%}
        {{ dbt.hash(dbt.concat([
            dbt.safe_cast(period_column, api.Column.translate_type("string")), "'|'",
            "attribution_model", "'|'", "channel", "'|'", "campaign",
        ])) }} as channel_roi_key,
        {{ period_column }},
        attribution_model,
        channel,
        campaign,
        spend,
        impressions,
        clicks,
        leads,
        customers,
        purchases,
        attributed_revenue,
        case when spend > 0 then attributed_revenue / spend end as roas,
        case when leads > 0 then spend / leads end as cpl,
        case when customers > 0 then spend / customers end as cac
{%- endmacro %}
