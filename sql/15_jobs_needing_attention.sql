-- Question: Which jobs of the last 7 /* :days */ days of the report need
--     attention (malware found first), and was each one announced
--     (EventBridge event, SNS digest), and when?
-- Audience: operators (what needs attention now, what nobody was told
--     about), auditors ("were we told, and when?").
-- Tables: backup_jobs, copy_jobs (only their FAILED, ABORTED, EXPIRED,
--     PARTIAL and COMPLETED partitions), restore_jobs, scan_jobs, alerts;
--     report_runs (the newest reported day).
-- Dates: the 7 days that end on the newest reported day: the latest
--     report_date of the last 7 days with a succeeded backup, copy or
--     restore slice in report_runs (today when no day has). days_from and
--     days_to say which days. Partitions read: report_date from
--     current_date - 12 days to current_date (alerts: every run's day up to
--     today).
-- Parameters: days = 7 (1..3650; length of the window, which ends on the
--     newest reported day).
-- Notes: needs attention = backup and copy jobs FAILED, ABORTED, EXPIRED or
--     PARTIAL, or COMPLETED with a message_category other than SUCCESS;
--     restore jobs FAILED or ABORTED, or restore tests whose validation is
--     FAILED or TIMED_OUT; malware scans whose result is THREATS_FOUND (in
--     any state), or FAILED or COMPLETED_WITH_ISSUES (the job announces by
--     the same rules). A job is announced once per status (and validation
--     status, or scan result); is_announced is false when no run announced
--     it: announcements off, a channel failed, or it finished more than
--     ALERT_MAX_AGE_HOURS before a run saw it.

with

backups as (
    select
        report_date,
        backup_job_id as job_id,
        account_id,
        account_name,
        region,
        resource_type,
        resource_name,
        resource_arn,
        status,
        message_category,
        status_message,
        creation_date,
        completion_date
    from backup_jobs
    where
        report_date
        > current_date - interval '6' day - interval '7' /* :days */ day
        and report_date <= current_date
        and status in ('FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL', 'COMPLETED')
),

copies as (
    select
        report_date,
        copy_job_id as job_id,
        account_id,
        account_name,
        region,
        resource_type,
        resource_name,
        resource_arn,
        status,
        message_category,
        status_message,
        creation_date,
        completion_date
    from copy_jobs
    where
        report_date
        > current_date - interval '6' day - interval '7' /* :days */ day
        and report_date <= current_date
        and status in ('FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL', 'COMPLETED')
),

restores as (
    select
        report_date,
        restore_job_id as job_id,
        account_id,
        account_name,
        region,
        resource_type,
        resource_arn,
        status,
        validation_status,
        status_message,
        validation_status_message,
        creation_date,
        completion_date
    from restore_jobs
    where
        report_date
        > current_date - interval '6' day - interval '7' /* :days */ day
        and report_date <= current_date
),

scans as (
    select
        report_date,
        scan_job_id as job_id,
        account_id,
        account_name,
        region,
        resource_type,
        resource_name,
        resource_arn,
        status,
        scan_result_status,
        status_message,
        creation_date,
        completion_date
    from scan_jobs
    where
        report_date
        > current_date - interval '6' day - interval '7' /* :days */ day
        and report_date <= current_date
),

announcements as (
    select
        job_type,
        job_id,
        status,
        validation_status,
        scan_result_status,
        announced_at,
        channels
    from alerts
    where
        report_date
        > current_date - interval '6' day - interval '7' /* :days */ day
        and report_date <= current_date
),

reported_slices as (
    select report_date
    from report_runs
    where
        report_date > current_date - interval '7' day
        and report_date <= current_date
        and succeeded
        and job_type in ('backup', 'copy', 'restore')
),

newest_reported_day as (
    select coalesce(max(report_date), current_date) as days_to
    from reported_slices
),

report_window as (
    select
        cast(
            days_to - interval '7' /* :days */ day + interval '1' day as date
        ) as days_from,
        days_to
    from newest_reported_day
),

needing_attention as (
    select
        report_date,
        'backup' as job_type,
        job_id,
        account_id,
        account_name,
        region,
        resource_type,
        resource_name,
        resource_arn,
        status,
        cast(null as varchar) as validation_status,
        cast(null as varchar) as scan_result_status,
        message_category,
        status_message,
        creation_date,
        completion_date
    from backups
    where
        status in ('FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL')
        or (status = 'COMPLETED' and upper(message_category) <> 'SUCCESS')
    union all
    select
        report_date,
        'copy' as job_type,
        job_id,
        account_id,
        account_name,
        region,
        resource_type,
        resource_name,
        resource_arn,
        status,
        cast(null as varchar) as validation_status,
        cast(null as varchar) as scan_result_status,
        message_category,
        status_message,
        creation_date,
        completion_date
    from copies
    where
        status in ('FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL')
        or (status = 'COMPLETED' and upper(message_category) <> 'SUCCESS')
    union all
    select
        report_date,
        'restore' as job_type,
        job_id,
        account_id,
        account_name,
        region,
        resource_type,
        cast(null as varchar) as resource_name,
        resource_arn,
        status,
        validation_status,
        cast(null as varchar) as scan_result_status,
        cast(null as varchar) as message_category,
        coalesce(status_message, validation_status_message) as status_message,
        creation_date,
        completion_date
    from restores
    where
        status in ('FAILED', 'ABORTED')
        or upper(validation_status) in ('FAILED', 'TIMED_OUT')
    union all
    select
        report_date,
        'scan' as job_type,
        job_id,
        account_id,
        account_name,
        region,
        resource_type,
        resource_name,
        resource_arn,
        status,
        cast(null as varchar) as validation_status,
        scan_result_status,
        cast(null as varchar) as message_category,
        status_message,
        creation_date,
        completion_date
    from scans
    where
        status in ('FAILED', 'COMPLETED_WITH_ISSUES')
        or upper(scan_result_status) = 'THREATS_FOUND'
),

attention_items as (
    select
        needing_attention.*,
        report_window.days_from,
        report_window.days_to
    from needing_attention
    inner join report_window
        on
            needing_attention.report_date
            between report_window.days_from and report_window.days_to
),

announced as (
    select
        job_type,
        job_id,
        status,
        coalesce(validation_status, scan_result_status, '') as item_key,
        min(announced_at) as first_announced_at,
        min(
            case when strpos(channels, 'events') > 0 then announced_at end
        ) as event_sent_at,
        min(
            case when strpos(channels, 'digest') > 0 then announced_at end
        ) as digest_sent_at
    from announcements
    group by
        job_type,
        job_id,
        status,
        coalesce(validation_status, scan_result_status, '')
),

final as (
    select
        attention_items.report_date,
        attention_items.job_type,
        attention_items.job_id,
        attention_items.account_id,
        coalesce(attention_items.account_name, '') as account_name,
        attention_items.region,
        attention_items.resource_type,
        coalesce(attention_items.resource_name, '') as resource_name,
        attention_items.resource_arn,
        attention_items.status,
        coalesce(attention_items.validation_status, '') as validation_status,
        coalesce(attention_items.scan_result_status, '') as scan_result_status,
        coalesce(upper(attention_items.scan_result_status), '')
        = 'THREATS_FOUND' as is_threat_found,
        coalesce(attention_items.message_category, '') as message_category,
        coalesce(attention_items.status_message, '') as status_message,
        attention_items.creation_date,
        attention_items.completion_date,
        announced.first_announced_at is not null as is_announced,
        announced.event_sent_at,
        announced.digest_sent_at,
        attention_items.days_from,
        attention_items.days_to
    from attention_items
    left join announced
        on
            attention_items.job_type = announced.job_type
            and attention_items.job_id = announced.job_id
            and attention_items.status = announced.status
            and coalesce(
                attention_items.validation_status,
                attention_items.scan_result_status,
                ''
            )
            = announced.item_key
)

select * from final
order by
    is_threat_found desc,
    is_announced asc,
    report_date desc,
    account_name asc,
    account_id asc,
    region asc,
    creation_date asc
