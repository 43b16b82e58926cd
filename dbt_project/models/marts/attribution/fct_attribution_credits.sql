-- Credit of each touchpoint of each conversion under each rule-based model; credits of one
-- conversion sum to 1 per model, so attributed revenue sums to the conversion's revenue.
{%- set half_life = var("attribution_time_decay_half_life_days") %}
{%- set first_weight = var("attribution_position_first_weight") %}
{%- set last_weight = var("attribution_position_last_weight") %}
with

paths as (

    select * from {{ ref('fct_conversion_paths') }}

),

last_non_direct as (

    -- the last touchpoint that is not Direct; the last one when all are Direct
    select
        conversion_id,
        coalesce(
            max(case when channel != 'Direct' then touchpoint_number end),
            max(touchpoint_number)
        ) as touchpoint_number

    from paths
    group by conversion_id

),

decay_weights as (

    select
        touchpoint_key,
        power(0.5, days_before_conversion / {{ half_life }}) as decay_weight

    from paths

),

weighted as (

    select
        paths.*,
        decay_weights.decay_weight,
        sum(decay_weights.decay_weight) over (partition by paths.conversion_id) as decay_total,
        last_non_direct.touchpoint_number as last_non_direct_number

    from paths
    inner join decay_weights on paths.touchpoint_key = decay_weights.touchpoint_key
    inner join last_non_direct on paths.conversion_id = last_non_direct.conversion_id

),

credits as (

    select
        *,
        case when touchpoint_number = 1 then 1.0 else 0.0 end as first_touch,
        case when touchpoint_number = touch_count then 1.0 else 0.0 end as last_touch,
        case
            when touchpoint_number = last_non_direct_number then 1.0 else 0.0
        end as last_non_direct,
        1.0 / touch_count as linear,
        decay_weight / decay_total as time_decay,
        case
            when touch_count = 1 then 1.0
            when touch_count = 2 then 0.5
            when touchpoint_number = 1 then {{ first_weight }}
            when touchpoint_number = touch_count then {{ last_weight }}
            else (1.0 - {{ first_weight }} - {{ last_weight }}) / (touch_count - 2)
        end as position_based

    from weighted

),

{%- set models = [
    "first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based"
] %}

unpivoted as (

    {% for model in models %}
        select
            touchpoint_key,
            conversion_id,
            conversion_type,
            conversion_date,
            touchpoint_number,
            touch_count,
            session_key,
            channel,
            source,
            medium,
            campaign,
            revenue,
            '{{ model }}' as attribution_model,
            cast({{ model }} as {{ type_double() }}) as credit

        from credits
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        {{ dbt.hash(dbt.concat(["touchpoint_key", "'|'", "attribution_model"])) }}
            as attribution_credit_key,
        touchpoint_key,
        conversion_id,
        conversion_type,
        conversion_date,
        attribution_model,
        touchpoint_number,
        touch_count,
        session_key,
        channel,
        source,
        medium,
        campaign,
        credit,
        credit * revenue as attributed_revenue

    from unpivoted

)

select * from final
