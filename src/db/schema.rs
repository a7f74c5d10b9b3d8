//! Diesel table definitions, the same on both backends (see `migrations/`).

diesel::table! {
    elections (id) {
        id -> Text,
        title -> Text,
        state -> Text,
        definition -> Text,
        opens_at -> Nullable<BigInt>,
        closes_at -> Nullable<BigInt>,
        seal_interval_seconds -> BigInt,
        seal_min_ballots -> BigInt,
        public_key -> Text,
        secret_key -> Text,
        lot_seed -> Text,
        created_at -> BigInt,
        tally -> Nullable<Text>,
        certification_quorum -> BigInt,
        time_zone -> Text,
        announced -> Bool,
        send_confirmations -> Bool,
    }
}

diesel::table! {
    log_heads (election_id) {
        election_id -> Text,
        size -> BigInt,
        head -> Text,
        next_seal -> BigInt,
        last_seal_at -> BigInt,
        sealed_ballots -> BigInt,
    }
}

diesel::table! {
    log_entries (election_id, seq) {
        election_id -> Text,
        seq -> BigInt,
        body -> Text,
        hash -> Text,
    }
}

diesel::table! {
    checkpoints (election_id, size, reason) {
        election_id -> Text,
        size -> BigInt,
        reason -> Text,
        body -> Text,
    }
}

diesel::table! {
    members (election_id, member_id) {
        election_id -> Text,
        member_id -> Text,
        name -> Text,
        email -> Text,
        token_hash -> Nullable<Text>,
        voted -> Bool,
        voted_sealed -> Bool,
        weight -> Text,
        language -> Text,
    }
}

diesel::table! {
    ballots (election_id, tracker) {
        election_id -> Text,
        tracker -> Text,
        body -> Text,
        seal -> Nullable<BigInt>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(elections, log_heads, log_entries, checkpoints, members, ballots);

diesel::table! {
    staff (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        totp_secret -> Nullable<Text>,
        disabled -> Bool,
        created_at -> BigInt,
        totp_last_step -> Nullable<BigInt>,
    }
}

diesel::table! {
    staff_sessions (token_hash) {
        token_hash -> Text,
        staff_id -> Text,
        csrf -> Text,
        created_at -> BigInt,
        last_seen -> BigInt,
        expires_at -> BigInt,
        password_failures -> Integer,
    }
}

diesel::table! {
    certifier_keys (election_id, staff_id) {
        election_id -> Text,
        staff_id -> Text,
        public_key -> Text,
        registered_at -> BigInt,
    }
}

diesel::table! {
    certifications (election_id, staff_id) {
        election_id -> Text,
        staff_id -> Text,
        body -> Text,
        signed_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(staff, staff_sessions, certifier_keys, certifications, elections);

diesel::table! {
    seals (election_id, seal) {
        election_id -> Text,
        seal -> BigInt,
        sealed_at -> BigInt,
        ballots -> BigInt,
        total -> BigInt,
    }
}

diesel::table! {
    deliveries (election_id, member_id, kind) {
        election_id -> Text,
        member_id -> Text,
        kind -> Text,
        status -> Text,
        attempts -> BigInt,
        error -> Nullable<Text>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    mail_templates (election_id, kind) {
        election_id -> Text,
        kind -> Text,
        subject -> Text,
        body -> Text,
    }
}

diesel::table! {
    election_texts (election_id, lang, text_key) {
        election_id -> Text,
        lang -> Text,
        text_key -> Text,
        body -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(deliveries, members);

diesel::table! {
    confirmations (election_id, tracker) {
        election_id -> Text,
        tracker -> Text,
        member_id -> Text,
        send_order -> Text,
        seal -> Nullable<BigInt>,
        status -> Text,
        attempts -> BigInt,
        error -> Nullable<Text>,
        updated_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    turnout (election_id) {
        election_id -> Text,
        eligible -> BigInt,
        voted -> BigInt,
    }
}

diesel::table! {
    roll_uploads (id) {
        id -> Text,
        election_id -> Text,
        staff_id -> Text,
        session -> Text,
        file_name -> Text,
        members -> BigInt,
        ready -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    roll_upload_rows (upload_id, row_number) {
        upload_id -> Text,
        row_number -> BigInt,
        member_id -> Text,
        name -> Text,
        email -> Text,
        weight -> Text,
    }
}

diesel::table! {
    purges (election_id) {
        election_id -> Text,
        purged_at -> BigInt,
        actor -> Text,
        members -> BigInt,
        tokens_issued -> BigInt,
        voted -> BigInt,
        voted_sealed -> BigInt,
        deliveries -> BigInt,
        roll_uploads -> BigInt,
    }
}

diesel::table! {
    candidate_profiles (election_id, contest_id, candidate_id) {
        election_id -> Text,
        contest_id -> Text,
        candidate_id -> Text,
        photo -> Nullable<Binary>,
        photo_type -> Nullable<Text>,
        photo_digest -> Nullable<Text>,
        width -> Nullable<BigInt>,
        height -> Nullable<BigInt>,
        profile -> Text,
        updated_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(candidate_profiles, elections);

diesel::table! {
    organisation (id) {
        id -> BigInt,
        name -> Text,
        short_name -> Text,
        primary_colour -> Text,
        accent_colour -> Text,
        office_name -> Text,
        office_email -> Text,
        office_phone -> Text,
        office_hours -> Text,
        privacy_url -> Text,
        logo -> Nullable<Binary>,
        logo_mime -> Nullable<Text>,
        logo_width -> Nullable<BigInt>,
        logo_height -> Nullable<BigInt>,
        version -> BigInt,
        updated_at -> BigInt,
        updated_by -> Text,
    }
}

diesel::table! {
    witnesses (election_id, name) {
        election_id -> Text,
        name -> Text,
        position -> BigInt,
        public_key -> Text,
        url -> Text,
        quorum -> BigInt,
        cosigned_size -> BigInt,
        cosigned_at -> Nullable<BigInt>,
        attempted_at -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    cosignatures (election_id, size, name) {
        election_id -> Text,
        size -> BigInt,
        name -> Text,
        line -> Text,
    }
}

diesel::table! {
    ceremonies (election_id) {
        election_id -> Text,
        trustees -> BigInt,
        threshold -> BigInt,
    }
}

diesel::table! {
    trustees (election_id, trustee) {
        election_id -> Text,
        trustee -> BigInt,
        name -> Text,
        email -> Nullable<Text>,
        code_hash -> Text,
        named_by -> Text,
        named_at -> BigInt,
    }
}

diesel::table! {
    ceremony_messages (election_id, position) {
        election_id -> Text,
        position -> BigInt,
        attempt -> BigInt,
        trustee -> BigInt,
        round -> Text,
        envelope -> Text,
        digest -> Text,
        received_at -> BigInt,
    }
}

diesel::table! {
    ceremony_exclusions (election_id, position) {
        election_id -> Text,
        position -> BigInt,
        attempt -> BigInt,
        trustee -> BigInt,
        rule -> Text,
        actor -> Nullable<Text>,
    }
}

diesel::table! {
    ballot_alphas (election_id, alpha) {
        election_id -> Text,
        alpha -> Text,
    }
}

diesel::table! {
    encrypted_totals (election_id) {
        election_id -> Text,
        ballots -> BigInt,
        state -> Text,
    }
}

diesel::table! {
    audited_ballots (election_id, tracker) {
        election_id -> Text,
        tracker -> Text,
        body -> Text,
        received_at -> BigInt,
        seal -> Nullable<BigInt>,
    }
}

diesel::table! {
    aggregates (election_id) {
        election_id -> Text,
        ballots -> BigInt,
        weight -> Text,
        weight_decimals -> BigInt,
        aggregate -> Text,
        digest -> Text,
        totals -> Nullable<Text>,
    }
}

diesel::table! {
    decryption_shares (election_id, position) {
        election_id -> Text,
        position -> BigInt,
        trustee -> BigInt,
        envelope -> Text,
        digest -> Text,
        received_at -> BigInt,
    }
}

diesel::table! {
    decryption_refusals (election_id, position) {
        election_id -> Text,
        position -> BigInt,
        trustee -> BigInt,
        reason -> Text,
        target -> Nullable<BigInt>,
        detail -> Text,
        received_at -> BigInt,
    }
}
