# Teller's member-facing text, in English. Every message here is also in
# locales/es/teller.ftl (a unit test checks both files have the same keys).
# Placeables: { $name } is text Teller inserts; numbers choose plural forms.

## Every page

site-skip = Skip to main content
site-language = Language
site-questions = Questions?
site-contact = Contact { $office }:
minutes = { $n ->
    [one] 1 minute
   *[other] { $n } minutes
}
hours = { $n ->
    [one] 1 hour
   *[other] { $n } hours
}
days = { $n ->
    [one] 1 day
   *[other] { $n } days
}

## Times and dates (weekday-N: 1 = Monday; month-N: 1 = January)

weekday-1 = Monday
weekday-2 = Tuesday
weekday-3 = Wednesday
weekday-4 = Thursday
weekday-5 = Friday
weekday-6 = Saturday
weekday-7 = Sunday
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
# "Friday 12 December 2026 at 17:00"
date-time = { $weekday } { $day } { $month } { $year } at { $time }
closes-at = Voting closes { $when } ({ $zone }).
time-left = { $left } left.
time-left-less-than-hour = Less than an hour left.

## Election states

state-draft = Not yet open
state-open = Voting open
state-closed = Closed, awaiting the count
state-tallied = Results published
state-certified = Results certified

## Home page

home-title = Elections
home-none = There are no elections here yet.
home-have-code = Have a voting code?
home-enter-code = Enter your voting code

## An election's public page

election-vote-now = Vote now with your voting code
election-see-results = See the results
election-turnout = Turnout
election-on-ballot = On the ballot
election-no-statement = No statement.
election-check-yourself = Check the election yourself
election-check-log = Check that your ballot is in the public log
election-check-log-how = (with the tracker code from your receipt).
election-download-record = Download the election record
election-download-record-how = and verify it with teller-audit verify. Ballots are published with the results.
election-fingerprint = Election key fingerprint: { $fingerprint }; log: { $size } entries, head
schedule-opens-closes = Voting opens { $opens } and closes { $closes }.
schedule-opens = Voting opens { $opens }.
schedule-unannounced = The opening time will be announced.
schedule-closes = Voting closes { $closes }.
schedule-close-by-hand = The election office will announce the close.
turnout-draft = { $eligible ->
    [one] 1 member is eligible to vote. Voting has not started.
   *[other] { $eligible } members are eligible to vote. Voting has not started.
}
turnout-no-seal = { $eligible ->
    [one] 1 member is eligible.
   *[other] { $eligible } members are eligible.
} Turnout is published each time ballots are sealed into the log; the first seal has not happened yet.
turnout-open = As of the last seal ({ $when }), { $voted } of { $eligible } eligible members had voted.
turnout-final = { $voted } of { $eligible } eligible members voted.

## Entering a voting code

enter-title = Enter your voting code
enter-title-error = Error: enter your voting code
enter-did-not-work = That code did not work
enter-label = Your voting code
enter-hint = 28 letters and digits, as printed in your invitation e-mail or letter, for example
enter-hint-end = Capitals, spaces and dashes do not matter.
enter-continue = Continue to the ballot
enter-privacy = Your code lets you cast one ballot. Your ballot is stored without your name or your code, and ballots are published only after the polls close, in an order that does not show who cast which.
enter-mistyped = The code has a typing mistake: one letter or digit is wrong, or two are swapped. Check each group of four.
enter-malformed = Enter the 28 letters and digits of your voting code, as printed in your invitation.
error-prefix = Error:

## Codes that do not work, polls not open

code-mistyped-title = This voting code has a typing mistake
code-mistyped-text = The code is the right length, but one of its letters or digits is not right (or two are swapped). Check each group of four against your invitation.
code-malformed-title = This is not a voting code
code-malformed-text = A voting code has 28 letters and digits, usually written in groups of four, such as 7K3M-Q9TD-… . Check that you copied the whole link or code from your invitation.
code-type-it = Type your voting code
code-type-again = Type your voting code again
code-unknown-title = We do not recognise this voting code
code-unknown-text-1 = The code may have been typed wrongly, or it may have been replaced: when the election office sends a member a new code, the old one stops working.
code-unknown-text-2 = Check your most recent invitation. If the code still does not work, contact the election office; they can send you a new one if you have not voted.
code-used-title = This voting code has already been used
code-used-text-1 = A ballot has already been cast with this code. Each code casts one ballot, and a cast ballot cannot be changed or shown again: Teller does not know which ballot is yours.
code-used-text-2 = If you did not vote yourself, contact the election office straight away.
see-election-page = See the election's page
not-open-title = The polls are not open yet
not-open-at = Voting opens { $when }. Your code will work then; keep your invitation.
not-open-unannounced = Voting has not started. The election office will announce when it opens; your code will work then.
closed-title = The polls are closed
closed-text = Voting in this election has ended, so no more ballots can be cast. The results will be published on the election's page.
too-many-title = Too many voting codes did not work
too-many-text-1 = Several voting codes from your connection did not work, so codes that do not work are refused from it for { $wait }. This protects every member's code.
too-many-text-2 = Your own code still works: check that you entered it exactly as printed in your invitation. If it keeps failing, contact the election office.

## The ballot

ballot-title = Your ballot
ballot-title-error = Error: your ballot
ballot-needs-change = Your ballot needs a change before it can be cast
ballot-how = Mark your choices, then review them. Nothing is cast until you press
ballot-how-button = Cast my ballot
ballot-how-end = on the next page. You may leave any contest blank.
ballot-review = Review my choices
ballot-preview = Preview.
ballot-preview-text = This is the ballot exactly as members will see it. Nothing can be cast here; marking it and pressing the button checks your choices the way the real ballot does.
ballot-preview-back = Back to the election
vote-for-one = Vote for one.
vote-for-up-to = Vote for up to { $seats }.
vote-referendum = Choose yes, no or abstain. Passing needs { $threshold }.
vote-approval = { $seats ->
    [one] Vote for as many candidates as you approve of. The one with the most votes wins.
   *[other] Vote for as many candidates as you approve of. The { $seats } with the most votes win.
}
vote-cumulative = You have { $points } points: give them all to one candidate or spread them among several. Seats: { $seats }.
vote-ranked = Number the candidates in order of preference: 1 for your first choice, 2 for your next, and so on. Rank as many or as few as you like.
not-ranked = Not ranked
leave-question-blank = Leave this question blank
leave-contest-blank = Leave this contest blank
write-in = Write in another name (optional)
write-in-n = Write in another name { $n } (optional)

## Reviewing and casting

review-title = Check your choices
review-about-to-cast = This is the ballot you are about to cast. Once cast, it cannot be changed.
review-blank = No selection: this contest is left blank.
review-change = Change my choices
review-cast = Cast my ballot

## The receipt

receipt-title = Your ballot has been cast
receipt-stored = It is stored safely. Thank you for voting.
receipt-tracker = Your tracker code
receipt-tracker-text = Your ballot is published under this code, without your name. Ballots are added to the public list in batches through the day, and all of them when voting closes: after that you can look yours up and see that it is there.
receipt-check-link = Check the public log for your ballot
receipt-what-it-says = What your ballot says
receipt-left-blank = Left blank.
receipt-keep = Keep your receipt
receipt-keep-text = Your receipt is a small file, signed by the election service, that records your tracker code and your choices. When the results are published, it lets you, or anyone you choose, check that your ballot was counted exactly as you cast it. If it was not, the receipt is your proof.
receipt-private = Keep it private.
receipt-private-text = Anyone who sees your receipt sees how you voted. Share it only if you choose to. This also means someone could pressure you to show it: Teller cannot prevent that.
receipt-download = Download my receipt
receipt-done-text = On a shared computer, download your receipt first, then press Done: this page will not be shown again in this browser. (It is forgotten by itself after a quarter of an hour.)
receipt-done = Done
receipt-auditors = Details for auditors
receipt-auditors-text = The receipt is signed with the election's key and promises that this ballot is in seal { $seal } of the public log at the latest. Once that seal is made, checking your ballot in the public log offers a small proof file to download: the command teller-audit verify-receipt receipt.json --proof proof.json checks the receipt with it, without the election record, and teller-audit verify-receipt receipt.json record.json checks it against the whole record. The formats are specified in audit/FORMAT.md.
receipt-gone-title = There is no receipt to show here
receipt-gone-text-1 = A receipt is shown in the browser that cast the ballot, for a quarter of an hour, or until you press Done on it.
receipt-gone-text-2 = If you downloaded your receipt, you can still check your ballot with it.
receipt-not-teller = That is not a Teller receipt.
receipt-bad-signature = That receipt is not validly signed.
receipt-cannot-write = That receipt cannot be written out.
elections-link = Elections


## Encrypted ballots (issue 13)

ballot-encrypted = This ballot is encrypted. With JavaScript on, your device encrypts your choices before anything is sent: the election service never sees them, only the trustees together can decrypt the totals, and you can check the encryption before casting. Without JavaScript, the next page explains what changes.
booth-title = Your ballot is encrypted
booth-tracker = Your ballot's tracker code:
booth-fingerprint = The election's key fingerprint (compare it with the one the election page publishes):
booth-choose = Cast this encrypted ballot, or check the encryption first. Checking opens this ballot on your device and shows what it holds; it then cannot be cast, and you encrypt again with the same choices.
booth-cast = Cast my ballot
booth-check = Check my encryption
booth-change = Change my choices
booth-audit-title = What this encryption holds
booth-audit-text = Your device opened the encrypted ballot with its secret seed and checked every proof. It holds:
booth-audit-after = This ballot has been checked, so it will never be cast. To vote, encrypt again: the new encryption is different, and holds the same choices.
booth-audit-download = Download the checked ballot
booth-again = Encrypt again
booth-encrypting = Encrypting your ballot on this device…
booth-ready = Your ballot is encrypted. Cast it, or check the encryption first.
booth-invalid = Your ballot needs a change before it can be encrypted: check the contest shown.
booth-failed = Your ballot could not be encrypted on this device. Nothing was sent. You can reload the page, or vote without JavaScript.
booth-mismatch = The election's keys on this page do not match its fingerprint, so nothing will be encrypted or sent. Please tell the election office.
booth-checking = Checking the encryption…
booth-audit-sent = Checked. The election service has kept this checked ballot, so it can never be cast.
booth-audit-unsent = Checked on this device, but the election service did not confirm that it kept the checked ballot. It still cannot be cast from this page.
booth-blank = left blank
booth-refused = Your ballot was not cast: the encrypted ballot failed the check { $check } ({ $reason }). Your voting code still works: please mark your choices and try again.
booth-refused-plain = Your ballot was not cast: { $reason }. Your voting code still works.
review-encrypted-title = How this ballot is encrypted
review-encrypted-server = JavaScript is off in this browser, so the election service encrypts this ballot for you when you press Cast or Check the encryption: at that moment the service sees your choices. It keeps only the encrypted ballot, and no one can link it to you.
review-encrypted-device = With JavaScript on, your own device encrypts the ballot and the election service never sees your choices.
review-check = Check the encryption
review-check-text = Check the encryption: the service encrypts this ballot and shows you what the encryption holds, with a file you can check on another device. That encryption is never cast, and your code still works.
audit-title = Your encryption, checked
audit-not-cast = Nothing has been cast: this encryption was opened to check it, so it can never be cast. Your voting code still works.
audit-tracker = Tracker code of the checked encryption
audit-holds = What the encryption holds
audit-holds-text = The service encrypted your choices, then opened the encryption with its secret seed and checked every proof. It holds:
audit-blank = Left blank.
audit-file = The checked ballot file
audit-file-text = To check it yourself on another device, download the file and run teller-audit verify-audit on it: it repeats every check and lists the choices the encryption holds.
audit-download = Download the checked ballot
audit-again-text = To vote, encrypt again: the new encryption is different, and holds the same choices.
audit-again = Encrypt again
audit-plain-election = This election's ballots are not encrypted: there is no encryption to check.
audit-not-teller = That is not a checked ballot from Teller.
receipt-encrypted-no-choices = Your receipt shows no choices: your ballot is encrypted, and only the trustees together can decrypt the totals, never one ballot.
receipt-keep-text-encrypted = Your receipt is a small file, signed by the election service, that records your tracker code and your encrypted ballot. When the results are published, it lets you, or anyone you choose, check that your ballot is among those counted, exactly as you cast it. If it is not, the receipt is your proof.
receipt-private-encrypted = It does not show how you voted:
receipt-private-encrypted-text = it holds only the encrypted ballot. Keep it anyway: it is your proof that this ballot is yours.

## Checking a ballot

track-title = Check the public log
track-title-error = Error: check the public log
track-receipt-title = Check my ballot
track-receipt-title-error = Error: check my ballot
track-receipt-failed = That receipt could not be checked
track-receipt-shows = What your receipt shows
track-yes = Yes:
track-problem = Problem:
track-intro = Enter the tracker code from your receipt to see whether your ballot has been sealed into the public log of { $title }. The log shows that a ballot with your code is there; after the polls close, the election record shows its content, which your receipt lets you compare.
track-label = Tracker code
track-hint = At least the first 16 characters, with or without spaces.
track-check = Check
track-or-file = Or check with your receipt file
track-file-text = If you downloaded your receipt, choose the file: this page checks that it is genuine, that your ballot is in the public log, and, once the results are published, that it was counted exactly as you cast it.
track-file-label = Your receipt file
track-file-check = Check my receipt
track-not-tracker = That is not a tracker code
track-not-tracker-text = A tracker code is 64 letters a–f and digits; enter at least the first 16.
track-found = Your ballot is in the public log
track-found-text = The ballot with this tracker was sealed into the log in seal { $seal }:
track-not-found = Not in the log yet
track-not-found-text = No sealed ballot has this tracker. If you voted recently, your ballot is waiting for the next seal: the number on your receipt says which seal will include it at the latest. Check again later; if that seal has passed and your ballot is missing, keep your receipt and tell the election office or an auditor.
track-ambiguous = More than one ballot matches
track-ambiguous-text = Enter more of your tracker code.
track-file-too-large = That file is too large to be a receipt.
track-file-missing = Choose your receipt file (teller-receipt-….json) to check it.
track-file-not-receipt = That file is not a Teller receipt.
track-file-other-election = That receipt is for another election; open that election's page to check it.
track-genuine = The receipt is genuine: it was signed with this election's key, and nothing in it has been changed.
track-not-genuine = The receipt is not genuine: its signature does not match this election's key, or it has been changed.
track-in-log = Your ballot is in the public log, under the tracker code on your receipt.
track-in-log-late = Your ballot is in the public log, but later than the receipt promised. Keep your receipt and tell the election office or an auditor.
track-missing = Your ballot is NOT in the public log, though it should be by now. Keep your receipt: it is your proof. Tell the election office or an auditor.
track-waiting = Your ballot is stored and waiting to be added to the public log, which happens in batches through the day and for all ballots when voting closes. Check again later.
track-counted = The results are published, and the ballot counted under your tracker says exactly what your receipt says.
track-not-counted = The results are published, but no counted ballot matches your receipt. Keep your receipt: it is your proof. Tell the election office or an auditor.
track-count-later = When the results are published, check again: this page will then say whether your ballot was counted exactly as on your receipt.

## Errors

error-not-found-title = Page not found
error-not-found-text = There is nothing at this address. Check the link, or start from the list of elections.
error-did-not-work = That did not work
error-ours-title = Sorry, something went wrong
error-ours-text = Something went wrong on our side; nothing was changed. Please try again in a moment.
error-not-found = Not found
error-cannot = That cannot be done
error-to-list = Go to the list of elections

## Ballot problems and choices in words

vote-ranked-no-gaps = Do not skip numbers.
vote-ranked-close-up = If you skip a number, your later choices move up.
answer-yes = Yes
answer-no = No
answer-abstain = Abstain
share-half = half
share-two-thirds = two-thirds
share-three-quarters = three-quarters
share-three-fifths = three-fifths
threshold-at-least = at least { $share } of the votes cast
threshold-more-than = more than { $share } of the votes cast
problem-in-contest = { $contest }: { $problem }
problem-points-not-number = the points for { $name } are not a whole number
problem-rank-range = the rank for { $name } must be a number from 1 to { $max }
problem-rank-twice = you gave rank { $rank } to both { $first } and { $second }; give each candidate a different number
problem-rank-gap = there is no rank { $rank }; number your choices 1, 2, 3… without gaps
problem-too-many = you chose { $chosen } but may choose at most { $seats }; remove { $remove } to continue
problem-too-many-points = you gave { $given } points but have { $points }; take away { $remove } to continue
summary-points = { $n ->
    [one] { $name }: 1 point
   *[other] { $name }: { $n } points
}
summary-written-in = { $name } (written in)

## E-mails (paragraphs, joined by blank lines). In the editable wording the
## placeables become {{name}}, {{election}}… for the election office to edit.

mail-greeting = Dear { $name },
mail-signoff = The Election Office
mail-vote-here = Vote here: { $link }
mail-or-type = Or go to { $vote_page } and type your voting code: { $code }
mail-keep-private = Keep this message private: the code casts one ballot. Your ballot is stored without your name or your code, and ballots are published only after the polls close, in an order that does not show who cast which.
mail-invitation-subject = Your voting code for { $election }
mail-invitation = You are invited to vote in { $election }. Voting closes { $closes }.
mail-reminder-subject = Reminder: vote in { $election }
mail-reminder = You have not voted yet in { $election }, as far as the election office knows (it learns who has voted only from time to time: if you have voted since, thank you, and please ignore this message). Voting closes { $closes }.
mail-reminder-how = To vote, use the link or the voting code in the invitation we sent you: it still works. You can also go to { $vote_page } and type that code.
mail-reminder-lost = If you cannot find your invitation, ask the election office for a new code (the old one then stops working): { $office }
mail-replacement-subject = Your new voting code for { $election }
mail-replacement = As you asked the election office, here is a new voting code for { $election }. The code sent to you earlier no longer works. Voting closes { $closes }.
mail-replacement-warning = If you did not ask for a new code, someone may be trying to vote in your name: tell the election office at once
mail-notice-subject = A new voting code was issued for you in { $election }
mail-notice = The election office has issued a new voting code for you in { $election }, and the code you had before no longer works. The new code was given to the office to pass on to you (by letter, say), not sent to this address.
mail-notice-asked = If you asked for it, there is nothing to do.
mail-notice-counted = Every replaced code is counted in the election's public record.
mail-questions = Questions? Contact { $office }.
mail-closes-unannounced = when the election office announces
mail-no-code = the code in your invitation

## Printed letters

letter-member = Member { $id }
letter-title = Your voting code for { $election }
letter-invited = You are invited to vote. Voting closes { $closes }.
letter-step-1 = Go to { $vote_page } on a phone or computer.
letter-step-2 = Type your voting code:
letter-step-3 = Mark your choices, check them, and cast your ballot. Keep the receipt you are offered.
letter-privacy = Your code casts one ballot. Your ballot is stored without your name or your code, and ballots are published only after the polls close, in an order that does not show who cast which.

## Time zones, time left, announced elections

zone-city = { $city } time
time-and = { $a } and { $b }
closes-left = Voting closes { $when }: { $left } left.
home-coming-up = Coming up
home-opens = Voting opens { $when }
announced-text = The ballot will be published here when the polls open. If you are a member, your voting code will arrive from the election office and will work from then.

## Candidates' pages

more-about = More about { $name }
more-about-new-tab = More about { $name } (opens in a new tab)
candidate-in = Candidate: { $contest }
candidate-from-ballot = Came here from your ballot? It is still open in the tab you came from, with your choices as you left them.
candidate-back = Back to the election

## Confirmation e-mails (sent at the seal)

confirm-subject = Your ballot is in the public record — { $election }
confirm-sealed = As you asked when you voted in { $election }, this is to confirm that your ballot is now in the election's public record: it was sealed into the public log in seal { $seal }.
confirm-tracker = Your ballot's tracker:
    { $tracker }
confirm-check = Check it yourself, here or on any copy of the public record: { $link }
confirm-private = This message does not say how you voted, and the election office cannot tell from it. But the public record shows the choices of the ballot with this tracker, so anyone who reads this message can look them up: keep it as private as your receipt, and delete it if you would rather not keep it.
confirm-wrong = If something here looks wrong, tell the election office: { $office }
confirm-box = E-mail me a confirmation when my ballot is in the public record
confirm-hint = The e-mail gives your ballot's tracker and a link to check it, once your ballot is sealed into the public log (not at once, so that it does not show when you voted). It does not say how you voted, but anyone who can read it can look the tracker up in the public record: keep it as private as your receipt.

## The organisation's footer

site-privacy = Privacy notice
site-runs-on-record = Runs on Teller, which keeps a public, tamper-evident record of every election: anyone can download it and check the count with the free teller-audit tool.

## Results

result-title = Results: { $title }
result-none-yet = No results yet
result-none-yet-text = Results are published when the polls have closed and the ballots have been counted. Until then nobody, the election office included, can see any part of the result here.
result-intro = { $ballots } ballots were cast by { $used } of { $eligible } eligible members ({ $turnout }). These results are the count of the published ballots; anyone can recount them from the
result-record = election record
result-digest = Tally digest:
result-method = Method: { $method }; seats: { $seats }.
result-votes-in = Votes in { $contest }
result-share = Share
result-outcome = Outcome
result-how = How the count went
result-rounds-label = Votes in each round of { $contest }
result-rounds-caption = Votes for each candidate in each round
result-at-end = At the end
result-exhausted = Exhausted
result-candidate = Candidate
result-votes = Votes
result-answer = Answer
result-points = Points
result-final-round = Final round
result-elected = Elected
result-nobody = Nobody was elected.
result-elected-list = Elected: { $names }.
result-elected-in-order = Elected, in order: { $names }.
result-unfilled-majority = { $n ->
    [one] 1 seat left unfilled: no other candidate reached the majority needed.
   *[other] { $n } seats left unfilled: no other candidate reached the majority needed.
}
result-unfilled-votes = { $n ->
    [one] 1 seat left unfilled: no other candidate received votes.
   *[other] { $n } seats left unfilled: no other candidate received votes.
}
result-majority = A winner needs more than { $over } votes: more than half of the ballots cast in this contest
result-tie = { $names } tied with { $votes } votes for { $seats ->
    [one] 1 remaining seat
   *[other] { $seats } remaining seats
}. As the rules require, lots drawn from the seed committed before the polls opened decided the order: { $order }.
result-votes-cast = Votes cast (yes + no): { $n }; abstentions are not votes cast
result-needed = To pass, yes needed { $threshold }
result-passed = Passed: { $share } of the votes cast were yes; it needed { $threshold }.
result-not-passed = Not passed: { $share } of the votes cast were yes; it needed { $threshold }.
result-not-a-vote = not a vote cast
result-count-failed = The count could not be made: { $error }.
result-schulze-order = The order of the table is the Schulze ranking.
result-cast = Ballots with a vote in this contest: { $n } (weight { $weight })
result-blank = Blank in this contest: { $n }
result-invalid = Invalid: { $n }
result-round = Round { $n }
result-round-event = Round { $n }: { $events }.
result-votes-counted = Votes counted: { $n }
result-quota = Quota: { $quota }
result-then = then

## The public bulletin board (/e/…/board) and the proof download on "check my ballot"

election-board = Read the public bulletin board
election-board-how = (the log, its signed checkpoint and the sealed trackers).
board-title = Bulletin board
board-intro = Everything published about { $title }, for anyone to read and check: the election's state, the newest signed checkpoint of its log, the log itself and the trackers of the sealed ballots.
board-state = State and schedule
board-opens = Voting opens
board-closes = Voting closes
board-closes-by-hand = No closing time is set: the election office closes voting by hand.
board-checkpoint = Latest checkpoint
board-checkpoint-text = The election key has signed that its log holds { $size } entries with this Merkle root. Anyone who keeps this checkpoint can later prove it if the log is ever rewritten.
board-size = Entries
board-root = Merkle root (hex)
board-key = Election key fingerprint
board-note = The signed checkpoint
board-note-text = The same checkpoint as a signed note in the C2SP format that transparency-log tools and witnesses read:
board-verifier-key = Verifier key
board-verifier-key-text = Witnesses and note tools are configured with this key to check the election's signature on its checkpoints:
board-counts = Counts
board-entries = Log entries in the checkpoint
board-seals = Seals
board-sealed-ballots = Sealed ballots
board-read = Read and download
board-log-link = The log
board-log-link-how = every entry the checkpoint covers, in order ({ $pages ->
        [one] 1 page
       *[other] { $pages } pages
    }).
board-trackers-link = The sealed trackers
board-trackers-link-how = in log order, each with a link to its check.
board-check-link = Check my ballot
board-check-link-how = with the tracker code or the receipt file, and download the proof that your ballot is in the log.
board-results-link = The results
board-results-link-how = with how each contest was counted.
board-record-link = The election record
board-record-link-how = to verify everything offline with teller-audit verify (ballots and tally once counted).
board-machines = For programs
board-machines-text = Monitors, witnesses and auditors' scripts can fetch the same data as plain files:
board-api-checkpoint = The newest signed checkpoint, as a signed note: poll it to follow the log.
board-api-consistency = The proof that the newest checkpoint extends the log you saw at size N: if it fails, the log was rewritten.
board-api-tiles = The log's hashes and entries in tiles, as transparency-log tools read them, to check the whole log without the record.
board-api-proof = The proof that one ballot is in the log, to check a receipt offline with teller-audit verify-receipt.
board-api-signed-checkpoint = The newest checkpoint in Teller's own JSON format, as the record holds them.
board-back = Back to the bulletin board.
board-pages = Pages
board-pages-end = Pages (end of the list)
board-page-of = Page { $page } of { $pages }
board-first = First page
board-previous = Previous page
board-next = Next page
board-last = Last page
board-log-title = The log
board-log-title-page = The log, page { $page } of { $pages }
board-log-intro = Every entry of the log that the newest signed checkpoint covers ({ $size ->
        [one] 1 entry
       *[other] { $size } entries
    }), oldest first. The record holds the same entries, with their hashes.
board-log-caption = Log entries { $first } to { $last } of { $size }
board-seq = Number
board-time = Time
board-type = Event
board-data = Data
board-trackers-title = Sealed trackers
board-trackers-title-page = Sealed trackers, page { $page } of { $pages }
board-trackers-intro = The tracker codes of the { $total ->
        [one] 1 sealed ballot
       *[other] { $total } sealed ballots
    }, in the order they are in the log: by seal, and within a seal in order of the code. No name is attached to any of them.
board-trackers-caption = Sealed trackers, page { $page } of { $pages }
board-trackers-none = No ballot has been sealed into the log yet.
board-tracker = Tracker code
board-seal = Seal
board-bad-page = A page number is a whole number from 1, like page=2.
board-no-such-page = There is no such page
board-no-such-page-text = You asked for page { $page }, but this list has { $pages ->
        [one] only 1 page
       *[other] { $pages } pages
    }.
board-event-election-created = Election created
board-event-definition-updated = Ballot changed
board-event-roll-imported = Members added to the roll
board-event-tokens-issued = Voting codes issued
board-event-token-reissued = A voting code replaced
board-event-certifier-registered = Certifier's key registered
board-event-tokens-sent = Voting codes sent
board-event-polls-opened = Voting opened
board-event-ballot = Ballot sealed
board-event-seal = Seal
board-event-schedule-changed = Closing time changed
board-event-polls-closed = Voting closed
board-event-tallied = Votes counted
board-event-certification = Certifier's signature
board-event-certified = Result certified
board-event-trustee-named = Trustee named
board-event-trustee-registered = Trustee's keys registered
board-event-ceremony-message = Key ceremony message
board-event-trustee-excluded = Trustee excluded from the key ceremony
board-event-ceremony-completed = Key ceremony completed
board-event-audited = Ballot checked by its voter (audited, never cast)
board-event-aggregated = Encrypted totals fixed
board-event-decryption-share = Trustee’s partial decryption accepted
board-event-decryption-refused = Trustee’s partial decryption refused
track-proof-download = Download the proof that your ballot is in the log
track-proof-offline = To check it offline, with your receipt and without trusting this site:
track-proof-command = teller-audit verify-receipt RECEIPT --proof PROOF
track-proof-later = The proof that your ballot is in the log can be downloaded here once your ballot is sealed into the log, at the seal your receipt names at the latest.
proof-bad-tracker = A tracker code is 64 letters a–f and digits.
proof-bad-seal = A seal number is a whole number from 1, like seal=2.
proof-unknown = No ballot has this tracker
proof-unknown-text = No ballot with this tracker code was cast in this election. Check the code on your receipt.
proof-not-yet = The proof is not ready yet
proof-not-yet-text = Your ballot is not yet sealed into the log. The proof can be downloaded once it is, at the seal your receipt names at the latest: check your ballot again after that.

## The trustee's page: the key ceremony of an encrypted election.
trustee-title = Trustee: the key ceremony
trustee-sign-in-title = Sign in as a trustee
trustee-sign-in-intro = Trustees make an encrypted election's key together, each on their own computer. Enter the access code the election office gave you when they named you a trustee.
trustee-code-label = Your trustee access code
trustee-sign-in = Sign in
trustee-sign-in-failed = Signing in did not work
trustee-code-unknown = This access code is not one the election office gave a trustee. Check it, or ask the election office.
trustee-too-many = Too many access codes from your connection did not work, so every trustee access code, even a right one, is refused from it for { $wait }. Wait, then sign in again. If these attempts were not yours, tell the election office.
trustee-sign-out = Sign out
trustee-intro = You are trustee { $trustee }, { $name }, of “{ $title }”: any { $threshold } of its { $trustees } trustees can decrypt the totals after the close, and no fewer.
trustee-progress = Where the ceremony is
trustee-roster-caption = The trustees
trustee-col-number = Number
trustee-col-name = Name
trustee-col-state = Now
trustee-col-fingerprint = Signing key fingerprint
trustee-fingerprint-none = Not registered yet
trustee-fingerprints-compare = Each fingerprint is that of the signing key the trustee registered: teller-audit trustee keygen printed it to them. Compare all of them with your fellow trustees, by phone or in person, not through this site. If the fingerprint shown for you or for another trustee is not the one their command printed, a key here is not theirs: send nothing more, and tell the election office and the other trustees.
trustee-state-named = Named
trustee-state-posted = Has sent this round's message
trustee-state-awaited = Message awaited
trustee-state-done = Done
trustee-state-failed = Stopped
trustee-state-excluded = Excluded ({ $rule })
trustee-status-naming = The election office has named { $named } of the { $total } trustees. The ceremony starts when all are named: come back then.
trustee-status-your-turn = It is your turn: the { $round } message of attempt { $attempt }. Follow the three steps below.
trustee-status-waiting = You have sent your message. The ceremony is waiting for the { $round } messages of trustee(s) { $who }: come back later.
trustee-status-complete = The ceremony is complete. Keep your folder safe, on encrypted media: you will need it to decrypt the totals after the close.
trustee-status-failed = The ceremony failed: { $why }
trustee-status-excluded = You were excluded from this ceremony and take no further part. The election office can tell you why; the board file shows the rule.
trustee-joint-key = The election's key:
trustee-next = What to do next
trustee-download = Download the board file (board.json)
trustee-run = In the folder where you saved it, run:
trustee-keep-folder = The folder teller-trustee holds your secrets: the command makes it readable by you alone. Keep it on encrypted media and never send it to anyone.
trustee-upload-step = Upload the message file the command wrote:
trustee-message-label = Your message file
trustee-message-hint = The .json file the command wrote (the name after --out).
trustee-upload = Upload the message
trustee-refused = The message was not accepted, and nothing changed
trustee-accepted = Your message is accepted (digest { $digest }…).
trustee-no-file = Choose the message file to upload.
trustee-too-large = This file is too large to be a ceremony message.
trustee-broken-upload = The upload did not arrive whole; try again.
decryption-title = Decrypting the totals
decryption-intro = The polls have closed. The encrypted totals of the { $ballots } cast ballots are fixed in the log (aggregate { $digest }…). Any { $threshold } trustees decrypt them, each on their own computer; nobody sees a ballot.
decryption-progress = Partial decryptions accepted: { $accepted } of the { $threshold } needed ({ $who }).
decryption-none-yet = none yet
decryption-done = The totals are decrypted: the election office publishes the result with the tally. Thank you.
decryption-yours = Your partial decryption is accepted.
decryption-download = Download the decryption request (request.json), next to board.json
decryption-download-board = Download the board file again (board.json)
decryption-run = In that folder, beside your teller-trustee folder, run the command below. It checks the ceremony, every ballot and the encrypted totals before it decrypts anything, and refuses if they do not match:
decryption-upload-step = Upload the partial decryption the command wrote:
decryption-partial-label = Your partial decryption file
decryption-partial-hint = The partial.json file the command wrote (the name after --out).
decryption-upload = Upload the partial decryption
decryption-refusals = Refused partial decryptions
decryption-refusal = Trustee { $who }: refused ({ $reason }): { $detail }
decryption-accepted = Your partial decryption is accepted (digest { $digest }…).
decryption-accepted-decrypted = Your partial decryption is accepted (digest { $digest }…); with it the totals are decrypted, and the election office can publish the result.
decryption-no-file = Choose the partial decryption file to upload.
decryption-too-large = This file is too large to be a partial decryption.
