-- Question: Over the last 30 /* :days */ days, which report days, regions or
--     job types are missing from the report, were last fetched with an
--     error, or differ from AWS Backup's own counts?
-- Audience: operators and auditors (can a day without failures be trusted,
--     or was it never reported?).
-- Tables: report_runs (the append-only ledger of runs); reconciliation
--     (the comparison with AWS Backup's daily counts).
-- Dates: the 30 days that end today once a run has reported today, else
--     yesterday (before today's run, today is not missing yet). days_from
--     and days_to say which days. Partitions read: report_date from
--     current_date - 30 days to current_date.
-- Parameters: days = 30 (1..3650; length of the window, which ends today or
--     yesterday).
-- Notes: report_runs keeps every run; for each day x job type x region the
--     latest run (run_started_at, then run_id) decides: a failure repaired by
--     a later run is not a problem. The regions expected are those that any
--     job slice reported in the window (the AWS Config inventory's own row,
--     job_type inventory, is not a job slice); malware scan slices are
--     expected once a run of the window listed scans (--JOB_TYPES chooses
--     the job types a run lists). problem is NOT REPORTED (no run covered the
--     slice), FAILED, or DIFFERS FROM AWS BACKUP (the latest comparison of a
--     reported slice, made since its latest run, recorded a difference it did
--     not heal: reported and aws_backup are the slice's totals then;
--     17_report_against_aws_backup has the detail). A report that stopped days
--     ago shows every day since as NOT REPORTED.

with

runs as (
    select
        report_date,
        run_id,
        run_started_at,
        job_type,
        region,
        succeeded,
        error,
        job_count
    from report_runs
    where
        report_date
        > current_date - interval '1' day - interval '30' /* :days */ day
        and report_date <= current_date
),

compared as (
    select
        report_date,
        job_type,
        region,
        reported,
        aws_backup,
        difference,
        action,
        checked_at
    from reconciliation
    where
        report_date
        > current_date - interval '1' day - interval '30' /* :days */ day
        and report_date <= current_date
),

newest_run_day as (
    select
        case
            when count_if(report_date = current_date) > 0 then current_date
            else current_date - interval '1' day
        end as days_to
    from runs
),

report_window as (
    select
        cast(
            days_to - interval '30' /* :days */ day + interval '1' day as date
        ) as days_from,
        days_to
    from newest_run_day
),

runs_in_window as (
    select runs.*
    from runs
    inner join report_window
        on
            runs.report_date
            between report_window.days_from and report_window.days_to
),

ranked_runs as (
    select
        *,
        row_number() over (
            partition by report_date, job_type, region
            order by run_started_at desc, run_id desc
        ) as run_rank,
        count(*) over (
            partition by report_date, job_type, region
        ) as runs_of_slice
    from runs_in_window
),

latest_runs as (
    select
        report_date,
        job_type,
        region,
        run_id,
        run_started_at,
        succeeded,
        error,
        job_count,
        runs_of_slice
    from ranked_runs
    where run_rank = 1
),

calendar_days as (
    select cast(calendar.report_day as date) as report_date
    from
        unnest(
            sequence(
                current_date - interval '30' /* :days */ day,
                current_date,
                interval '1' day
            )
        ) as calendar (report_day)
),

report_days as (
    select
        calendar_days.report_date,
        report_window.days_from,
        report_window.days_to
    from calendar_days
    inner join report_window
        on
            calendar_days.report_date
            between report_window.days_from and report_window.days_to
),

job_types as (
    select job_type_list.job_type
    from
        unnest(array['backup', 'copy', 'restore']) as job_type_list (job_type)
    union all
    select distinct job_type
    from runs_in_window
    where job_type = 'scan'
),

regions as (
    select distinct region
    from runs_in_window
    where job_type in ('backup', 'copy', 'restore')
),

expected_slices as (
    select
        report_days.report_date,
        job_types.job_type,
        regions.region,
        report_days.days_from,
        report_days.days_to
    from report_days
    cross join job_types
    cross join regions
),

comparisons as (
    select
        report_date,
        job_type,
        region,
        sum(reported) as reported,
        sum(aws_backup) as aws_backup,
        count_if(
            action = 'recorded' and (reported is null or difference != 0)
        ) as states_differing,
        max(checked_at) as checked_at
    from compared
    group by report_date, job_type, region
),

final as (
    select
        expected_slices.report_date,
        expected_slices.job_type,
        expected_slices.region,
        case
            when latest_runs.run_id is null then 'NOT REPORTED'
            when latest_runs.succeeded is distinct from true then 'FAILED'
            else 'DIFFERS FROM AWS BACKUP'
        end as problem,
        coalesce(latest_runs.error, '') as latest_error,
        latest_runs.run_id as latest_run_id,
        latest_runs.run_started_at as latest_run_started_at,
        coalesce(latest_runs.runs_of_slice, 0) as runs_of_slice,
        comparisons.reported,
        comparisons.aws_backup,
        expected_slices.days_from,
        expected_slices.days_to
    from expected_slices
    left join latest_runs
        on
            expected_slices.report_date = latest_runs.report_date
            and expected_slices.job_type = latest_runs.job_type
            and expected_slices.region = latest_runs.region
    left join comparisons
        on
            expected_slices.report_date = comparisons.report_date
            and expected_slices.job_type = comparisons.job_type
            and expected_slices.region = comparisons.region
    where
        latest_runs.run_id is null
        or latest_runs.succeeded is distinct from true
        or (
            comparisons.states_differing > 0
            and comparisons.checked_at >= latest_runs.run_started_at
        )
)

select * from final
order by report_date desc, region asc, job_type asc
