"""Project-authored customer-support messages with the customer's tone as label, generated from templates.

Written for Beacon from scratch (not derived from, or paraphrased from, any dataset) so the shipped
``customer_sentiment`` model learns the register of messages customers send to a support team: chat
lines, app reviews, short complaints and formal emails about banking and cards, money transfers,
online orders and returns, telecom and internet plans, app subscriptions and logins, travel bookings,
insurance claims and utility bills. Company and product names are generic ("the app", "your bank",
"the courier") or invented.

Labelling rule: the label is the customer's *expressed tone*, not whether the topic is bad news.

* ``negative``: the customer expresses a negative feeling or judgement: frustration, anger, annoyance,
  impatience ("still", "again", "for the third time", "it's been two weeks"), worry or anxiety ("I'm
  really worried", "I'm panicking"), disappointment, sarcasm, complaints about the service or the
  company ("useless", "ridiculous", "unacceptable", "worst bank ever"), threats to leave or to complain
  publicly, accusations ("you stole my money", "this is a scam"). Mixed messages ("thanks, but this is
  the third time ...") are negative when the complaint dominates.
* ``neutral``: questions, requests, how-tos and problem reports stated plainly, with no expressed
  feeling, *including* plain reports of problems ("My card was declined at the shop today.", "I was
  charged twice for one order, can you check?"). More than half of the neutral rows are such plain
  problem reports, so that a problem alone is not read as negative. Politeness formulas ("please",
  "thanks in advance", "Regards") do not change the label.
* ``positive``: thanks, praise, satisfaction, relief or excitement ("Thanks, that fixed it!", "Great
  service, the refund came through in a day", "Love the new app").

The same problem situations (``SITUATIONS``) are used by all three generators: stated plainly
(neutral), with emotion added (negative) and as resolved-with-thanks (positive), so the model has to
learn the tone rather than the topic.

Deterministic: ``customer_messages(n_per_label, seed)`` always returns the same rows. About a fifth of
the messages are rewritten in a casual chat style (lower case, no final full stop, sometimes no
apostrophes); some negative ones end with "!!" or "???" or shout one word in capitals.
"""

# ruff: noqa: E501  (one template per line reads best)
from __future__ import annotations

import random
import re
from typing import NamedTuple


class Situation(NamedTuple):
    """One thing that can go wrong, in the words a customer would use for it."""

    domain: str
    topic: str  # what the customer writes about: "my refund", "order {order}"
    short: tuple[str, ...]  # terse problem: "card declined"
    reports: tuple[str, ...]  # the problem as a plain clause (lower-case start, no final punctuation)
    fixed: tuple[str, ...]  # the problem solved, as a clause
    money: bool = False  # whether the customer's money is at stake (accusations, worry about bills)


S = Situation
SITUATIONS: list[Situation] = [
    # banking and cards
    S(
        "banking",
        "my card",
        ("card declined", "card declined at checkout", "card not working", "debit card declined"),
        (
            "my card was declined at {place} {day}",
            "my debit card was declined when I tried to pay {day}",
            "my card got declined at {place} even though there is money in my account",
            "my card doesn't work for online payments",
            "my credit card was declined for a payment of {amount}",
            "my card was declined twice at {place}",
            "the card reader at the shop said my card was declined",
        ),
        (
            "my card works again",
            "the payment went through this time",
            "my card is working fine now",
            "I could pay at {place} without any problem",
            "the payment that was declined went through on the second try",
        ),
        money=True,
    ),
    S(
        "banking",
        "my new card",
        ("new card not arrived", "replacement card not received", "card not delivered"),
        (
            "my new card hasn't arrived yet",
            "I ordered a replacement card {ago} and it hasn't arrived",
            "the card you sent {ago} hasn't been delivered",
            "I haven't received my new debit card",
            "my renewed card didn't come in the post",
        ),
        (
            "my new card arrived today",
            "the replacement card came in the post",
            "my card arrived and it's already activated",
            "the new card turned up this morning",
        ),
    ),
    S(
        "banking",
        "a double payment",
        ("charged twice", "double payment on my account", "same payment taken twice"),
        (
            "I was charged twice for one payment at {place}",
            "there are two identical payments of {amount} on my statement",
            "a payment of {amount} was taken twice from my account {day}",
            "I was charged twice for the same order",
        ),
        ("the duplicate charge has been refunded", "the extra {amount} is back in my account", "the double payment was reversed"),
        money=True,
    ),
    S(
        "banking",
        "a payment I don't recognise",
        ("unknown payment on my account", "payment I don't recognise", "strange transaction on my statement"),
        (
            "there's a payment of {amount} on my account that I don't recognise",
            "I see a card payment to a shop I've never used",
            "someone made a payment of {amount} with my card {day}",
            "there are three small payments on my statement that I didn't make",
        ),
        (
            "the payment I didn't recognise has been reversed",
            "you blocked the card and refunded the {amount}",
            "the fraud team sorted everything out",
        ),
        money=True,
    ),
    S(
        "banking",
        "my account access",
        ("account locked", "card blocked", "online banking suspended"),
        (
            "my account was locked after I entered the wrong PIN",
            "my card has been blocked and I don't know why",
            "online banking says my account is suspended",
            "my card was blocked while I was abroad",
        ),
        ("my account is unlocked", "my card has been unblocked", "I can use online banking again", "my card works abroad now"),
        money=True,
    ),
    S(
        "banking",
        "a cash withdrawal",
        ("ATM didn't give me cash", "cash machine kept my card"),
        (
            "the cash machine didn't give me any money but {amount} was taken from my account",
            "the ATM {atm} kept my card",
            "I withdrew {amount} but the machine only gave me part of it",
            "the ATM {atm} took my money and gave me nothing",
        ),
        (
            "the {amount} from the cash machine has been credited back",
            "I got my card back from the branch",
            "the missing cash is back in my account",
        ),
        money=True,
    ),
    S(
        "banking",
        "a fee on my account",
        ("unexpected fee", "fee on my account", "overdraft fee charged"),
        (
            "I've been charged a {amount} fee that I wasn't expecting",
            "there's a monthly fee on my account that I didn't sign up for",
            "I was charged an overdraft fee {day}",
            "I was charged a foreign transaction fee on a payment in {city}",
        ),
        (
            "the fee has been refunded",
            "you removed the monthly fee",
            "the overdraft fee was refunded",
            "the {amount} fee is back in my account",
        ),
        money=True,
    ),
    # money transfers
    S(
        "transfers",
        "my transfer",
        ("transfer not arrived", "transfer not received", "money not arrived", "payment not received"),
        (
            "the transfer I made on {weekday} hasn't arrived",
            "I sent {amount} to my {relative} {day} and it hasn't reached their account",
            "the money I transferred {ago} isn't showing in the other account",
            "the {amount} transfer from my savings account hasn't arrived",
            "my {relative} hasn't received the {amount} I sent {day}",
        ),
        (
            "the transfer arrived",
            "my {relative} got the money",
            "the {amount} has reached the other account",
            "the money showed up this morning",
        ),
        money=True,
    ),
    S(
        "transfers",
        "my pending transfer",
        ("transfer pending", "payment stuck", "transfer stuck on processing"),
        (
            "my transfer has been showing as pending since {since}",
            "my international transfer is stuck on processing",
            "the payment to my landlord says pending",
            "my transfer of {amount} has been on hold since {since}",
        ),
        ("the transfer has gone through", "the pending payment has cleared", "my landlord confirmed the payment arrived"),
        money=True,
    ),
    S(
        "transfers",
        "a payment to the wrong account",
        ("sent money to the wrong account", "wrong payee"),
        (
            "I sent {amount} to the wrong account by mistake",
            "I made a typo in the account number and the money went to someone else",
            "I paid the wrong person {day}",
        ),
        (
            "you got the money back from the wrong account",
            "the {amount} I sent by mistake has been returned",
            "the money I sent to the wrong person is back",
        ),
        money=True,
    ),
    S(
        "transfers",
        "the exchange rate on my transfer",
        ("wrong exchange rate", "transfer fee higher than shown"),
        (
            "the exchange rate on my transfer was different from the one in the app",
            "I was charged more in fees than the app showed for my transfer",
            "the amount that arrived in {city} was less than the app promised",
        ),
        (
            "the difference in the exchange rate was refunded",
            "you refunded the extra transfer fee",
            "the missing amount was paid to my account",
        ),
        money=True,
    ),
    S(
        "transfers",
        "my top-up",
        ("top-up failed", "top up not showing"),
        (
            "my top-up of {amount} failed but the money left my bank account",
            "I tried to add money to my wallet and it failed twice",
            "my top-up isn't showing in the app",
        ),
        ("the top-up went through", "the {amount} top-up is showing in my wallet", "the money is in my wallet now"),
        money=True,
    ),
    # online shopping
    S(
        "shopping",
        "order {order}",
        ("order not arrived", "parcel not delivered", "order not here yet", "package not received"),
        (
            "my order {order} hasn't arrived",
            "my parcel was due {day} and hasn't been delivered",
            "the {item} I ordered {ago} hasn't arrived",
            "the tracking for order {order} hasn't updated since {since}",
            "my delivery didn't come {day}",
        ),
        (
            "my parcel arrived",
            "the {item} arrived today",
            "order {order} has been delivered",
            "the courier delivered my parcel this morning",
        ),
    ),
    S(
        "shopping",
        "the {item} I ordered",
        ("item arrived damaged", "broken item", "damaged parcel"),
        (
            "the {item} arrived damaged",
            "the {item} I received is broken",
            "the box was crushed and the {item} inside is scratched",
            "the {item} from order {order} doesn't turn on",
        ),
        ("the replacement {item} arrived in perfect condition", "the new {item} works perfectly", "you sent a new {item} straight away"),
    ),
    S(
        "shopping",
        "order {order}",
        ("wrong item received", "wrong size sent", "wrong colour delivered"),
        (
            "I received the wrong item, I ordered a {item} and got a {item2}",
            "the {item} I received is the wrong colour",
            "I ordered a size M and got an XL",
            "my order {order} has someone else's items in it",
        ),
        ("the right {item} arrived", "the exchange was quick and the new one fits", "you sent the correct {item} the next day"),
    ),
    S(
        "shopping",
        "my refund",
        ("refund not received", "no refund yet", "refund not showing"),
        (
            "I returned the {item} {ago} and haven't received the refund",
            "the refund for order {order} hasn't reached my account",
            "you confirmed my return but the refund hasn't come through",
            "I was refunded {amount} instead of the full price",
        ),
        (
            "the refund came through",
            "the refund for the {item} is in my account",
            "my money for order {order} is back",
            "the full refund arrived",
        ),
        money=True,
    ),
    S(
        "shopping",
        "my missing parcel",
        ("parcel marked delivered but not here", "missing parcel", "parcel delivered to wrong address"),
        (
            "the tracking says delivered but there's no parcel",
            "the courier marked my order as delivered but I haven't got it",
            "my parcel was left at the wrong address",
            "the driver says he left the parcel with a neighbour but nobody has it",
        ),
        ("the courier found my parcel", "my neighbour had the parcel and I've got it now", "you resent the order and it came today"),
    ),
    S(
        "shopping",
        "order {order}",
        ("item missing from order", "part of my order missing"),
        (
            "one item is missing from my order {order}",
            "the {item} wasn't in the box with the rest of my order",
            "my order came without the charger",
        ),
        ("the missing {item} arrived", "you sent the missing item the next day", "the rest of my order arrived"),
    ),
    S(
        "shopping",
        "a discount code",
        ("discount code not working", "promo code invalid"),
        (
            "the discount code isn't working at checkout",
            "the promo code from your email says invalid",
            "the sale price wasn't applied to my order",
        ),
        ("the discount code worked", "the discount was applied to my order", "you refunded the difference in price"),
    ),
    # telecom, internet and mobile
    S(
        "telecom",
        "my internet connection",
        ("internet down", "no internet", "wifi not working", "broadband not working"),
        (
            "my internet has been down since {since}",
            "the broadband isn't working",
            "my router shows a red light and there's no connection",
            "my home internet drops out several times a day",
            "the wifi stopped working {day}",
        ),
        (
            "the internet is back",
            "the connection is stable now",
            "the new router fixed the wifi",
            "everything works again after the engineer's visit",
        ),
    ),
    S(
        "telecom",
        "my broadband speed",
        ("slow internet", "slow broadband", "speed lower than promised"),
        (
            "my broadband speed is much lower than the plan says",
            "my internet is very slow in the evenings",
            "the speed test shows {mbps} Mbps instead of {mbps2}",
        ),
        ("the speed is back to normal", "I'm getting the full speed now", "the speed test shows {mbps2} Mbps now"),
    ),
    S(
        "telecom",
        "my phone bill",
        ("bill higher than usual", "wrong bill", "extra charges on my bill"),
        (
            "my phone bill this month is {amount} higher than usual",
            "my bill includes charges for calls I didn't make",
            "I was billed for a plan I'm not on",
            "I was charged {amount} for data I didn't use",
        ),
        ("the bill has been corrected", "you credited the {amount} back", "my bill is back to the normal amount"),
        money=True,
    ),
    S(
        "telecom",
        "my mobile signal",
        ("no signal", "no mobile service", "calls dropping"),
        (
            "I have had no mobile signal at home since {since}",
            "my phone shows no service",
            "calls drop as soon as I go indoors",
            "I can't make calls from my flat",
        ),
        ("the signal is back", "my phone has full signal again", "calls are working fine now"),
    ),
    S(
        "telecom",
        "my new SIM",
        ("number transfer not done", "SIM not activated", "eSIM not working"),
        (
            "my number transfer from my old provider hasn't completed",
            "my new SIM card isn't activated",
            "the eSIM you sent won't install on my phone",
        ),
        ("my number has been moved over", "the SIM is active", "the eSIM installed and works"),
    ),
    S(
        "telecom",
        "roaming charges",
        ("roaming charges on my bill", "data not working abroad"),
        (
            "I was charged roaming fees even though I have the travel add-on",
            "my mobile data stopped working in {city}",
        ),
        ("the roaming charges were removed", "my data works abroad now"),
        money=True,
    ),
    # software, app subscriptions and accounts
    S(
        "software",
        "my login",
        ("can't log in", "login not working", "locked out of my account", "password reset not working"),
        (
            "I can't log in to my account",
            "the app says my password is wrong even after I reset it",
            "I'm locked out of my account",
            "the login page shows an error when I sign in",
            "the password reset link has expired",
        ),
        ("I can log in now", "the password reset worked", "I'm back in my account", "the login works now"),
    ),
    S(
        "software",
        "the app",
        ("app crashing", "app not opening", "app freezing"),
        (
            "the app crashes when I open {screen}",
            "the app closes as soon as I tap {screen}",
            "the app freezes on the loading screen",
            "the app shows a blank page after the update",
        ),
        ("the update fixed the crash", "the app opens fine now", "reinstalling worked and the app is fine"),
    ),
    S(
        "software",
        "my subscription",
        ("charged after cancelling", "subscription renewed after cancelling"),
        (
            "I was charged for {plan} after I cancelled",
            "my subscription renewed even though I cancelled it {ago}",
            "I was charged {amount} for a renewal I didn't want",
        ),
        (
            "the renewal charge was refunded",
            "you refunded the {amount} and closed the subscription",
            "the subscription is cancelled and the money is back",
        ),
        money=True,
    ),
    S(
        "software",
        "my verification code",
        ("verification code not received", "no verification code", "sign-up email not arrived"),
        (
            "I'm not receiving the verification code by text",
            "the two-factor code doesn't arrive",
            "the sign-up email hasn't arrived",
        ),
        ("the code came through", "the verification text arrived straight away this time", "I received the email and I'm signed up"),
    ),
    S(
        "software",
        "my saved data",
        ("files missing after update", "lost data", "sync not working"),
        (
            "my saved files disappeared after the update",
            "my playlists are gone since the last update",
            "my notes didn't sync to my new phone",
        ),
        ("my files are back", "all my playlists are back", "everything synced to the new phone"),
    ),
    S(
        "software",
        "{plan}",
        ("subscription payment failed", "account downgraded"),
        (
            "my payment for {plan} failed and my account was downgraded",
            "the app won't accept my card for the subscription",
        ),
        ("the payment worked and {plan} is active again", "my account has been upgraded back"),
    ),
    # travel bookings
    S(
        "travel",
        "my cancelled flight",
        ("flight cancelled, no refund", "refund for cancelled flight", "flight cancelled"),
        (
            "my flight was cancelled and I haven't received the refund",
            "my flight to {city} was cancelled and I haven't been rebooked",
            "my flight on {weekday} was cancelled",
        ),
        (
            "the refund for the cancelled flight arrived",
            "you rebooked me on the next flight to {city}",
            "I got the full refund for my flight",
        ),
        money=True,
    ),
    S(
        "travel",
        "my booking",
        ("no booking confirmation", "booking not showing", "hotel can't find my booking"),
        (
            "I booked a room for {date} but haven't received a confirmation email",
            "my booking reference doesn't show up on your website",
            "the hotel says they have no booking under my name",
        ),
        ("the confirmation came through", "the hotel found my booking", "my booking shows up now"),
    ),
    S(
        "travel",
        "my luggage",
        ("lost luggage", "bag didn't arrive", "suitcase missing"),
        (
            "my suitcase didn't arrive on my flight {day}",
            "my bag wasn't on the carousel when I landed in {city}",
            "my luggage was sent to the wrong airport",
        ),
        (
            "my suitcase was delivered to the hotel",
            "my bag arrived on the next flight and was brought to my door",
            "I've got my luggage back",
        ),
    ),
    S(
        "travel",
        "my ticket",
        ("name wrong on ticket", "wrong date on ticket"),
        (
            "the name on my ticket is misspelled",
            "my ticket has the wrong date on it",
            "my seat reservation disappeared from my booking",
        ),
        ("the name on my ticket has been corrected", "the date on my ticket has been changed", "my seat is back on the booking"),
    ),
    S(
        "travel",
        "a hotel charge",
        ("charged for cancelled booking", "cancellation fee charged"),
        (
            "the hotel charged my card for a night I cancelled",
            "I was charged a cancellation fee for a booking with free cancellation",
            "I was charged {amount} for a room upgrade I didn't ask for",
        ),
        ("the cancellation fee was refunded", "the hotel refunded the night I cancelled", "the {amount} for the upgrade was refunded"),
        money=True,
    ),
    S(
        "travel",
        "my delayed train",
        ("train delayed", "delay compensation not paid"),
        (
            "my train to {city} was delayed by two hours",
            "I applied for delay compensation {ago} and haven't received it",
        ),
        ("the delay compensation was paid", "I received the compensation for my delayed train"),
        money=True,
    ),
    # insurance claims
    S(
        "insurance",
        "my claim",
        ("claim not processed", "no update on claim", "claim under review"),
        (
            "I submitted a claim {ago} and haven't heard back",
            "my claim for the {claim} has been under review since {since}",
            "I sent the documents for my claim but the status hasn't changed",
        ),
        ("my claim has been approved", "the payout for my {claim} claim arrived", "the claim was settled"),
        money=True,
    ),
    S(
        "insurance",
        "my claim",
        ("claim rejected", "claim declined"),
        (
            "my claim was rejected and the letter doesn't explain why",
            "my claim for the {claim} was declined",
            "you paid {amount} less than the repair cost on my claim",
        ),
        ("my claim was reviewed again and paid", "the decision on my claim was changed", "the rest of the payout arrived"),
        money=True,
    ),
    S(
        "insurance",
        "my renewal",
        ("premium went up", "renewal price increase"),
        (
            "my premium went up by {amount} at renewal",
            "my renewal quote is much higher than last year",
        ),
        ("you found me a better price for my renewal", "my premium was lowered"),
        money=True,
    ),
    S(
        "insurance",
        "my policy documents",
        ("policy documents missing", "no policy documents"),
        (
            "my policy documents haven't arrived",
            "I can't find my policy documents in my online account",
            "my policy shows the wrong address",
        ),
        ("the policy documents arrived", "the documents are in my account now", "my address on the policy has been updated"),
    ),
    # utilities billing
    S(
        "utilities",
        "my energy bill",
        ("estimated bill", "wrong meter reading", "energy bill too high"),
        (
            "my bill is based on an estimated reading instead of the one I submitted",
            "the meter reading on my bill is wrong",
            "my energy bill is {amount} higher than last month",
        ),
        ("the bill was recalculated with my real reading", "my bill has been corrected", "you refunded the overcharge"),
        money=True,
    ),
    S(
        "utilities",
        "my direct debit",
        ("direct debit taken twice", "wrong direct debit amount"),
        (
            "the direct debit was taken twice this month",
            "you took {amount} by direct debit instead of the agreed amount",
        ),
        ("the second direct debit was refunded", "the direct debit is back to the agreed amount"),
        money=True,
    ),
    S(
        "utilities",
        "my smart meter",
        ("smart meter not working", "meter not sending readings"),
        (
            "the smart meter stopped sending readings",
            "the in-home display shows no data since {since}",
        ),
        ("the smart meter is sending readings again", "the display works now"),
    ),
    S(
        "utilities",
        "the supply to my home",
        ("power cut", "no water", "no gas supply"),
        (
            "there's been a power cut on my street since {since}",
            "we've had no water since this morning",
            "the gas supply to my flat was cut off {day}",
        ),
        ("the power is back on", "the water is back on", "the gas is back on"),
    ),
    # the support service itself
    S(
        "general",
        "my enquiry",
        ("no reply to my email", "no answer from support"),
        (
            "I sent an email on {weekday} and haven't had a reply",
            "I've called twice and couldn't get through",
            "the chat says an agent will join but nobody has",
            "my complaint reference {ref} hasn't been answered",
        ),
        (
            "your team called me back within an hour",
            "the agent on the chat sorted everything out",
            "I got a reply and it answered all my questions",
        ),
    ),
]
del S

COMPANY = {
    "banking": ["bank", "bank", "card provider"],
    "transfers": ["money transfer service", "app", "bank"],
    "shopping": ["shop", "store", "online shop"],
    "telecom": ["provider", "network", "broadband provider", "phone company"],
    "software": ["app", "service", "company"],
    "travel": ["airline", "booking site", "travel company"],
    "insurance": ["insurer", "insurance company"],
    "utilities": ["energy supplier", "supplier", "water company"],
    "general": ["company", "company"],
}
DOMAINS = list(COMPANY)

HOWTO = {
    "banking": [
        "How do I reset my PIN?",
        "How can I order a new card?",
        "Can I increase my daily card limit?",
        "How do I set up a standing order?",
        "Where can I find my account number in the app?",
        "How do I freeze my card?",
        "Can I open a joint account online?",
        "What's the interest rate on the savings account?",
        "How do I add my card to my phone wallet?",
        "Do you charge a fee for using my card abroad?",
        "How do I change the phone number on my account?",
        "Can I get a paper statement sent to me?",
        "I'd like to close my savings account.",
        "Please send me my statement for {month}.",
        "I need to update my home address.",
        "Can I order a card in a different colour?",
        "What documents do I need to open an account?",
        "Is there a limit on cash withdrawals?",
    ],
    "transfers": [
        "How long does an international transfer take?",
        "What's the maximum I can send in one transfer?",
        "How do I add a new payee?",
        "Can I cancel a transfer after I've sent it?",
        "Which details do I need to send money abroad?",
        "Is there a fee for instant transfers?",
        "Can I schedule a transfer for next month?",
        "I want to send {amount} to {city}, what's the rate today?",
        "Can I send money to a card instead of a bank account?",
    ],
    "shopping": [
        "Can I change my delivery address?",
        "How do I return an item?",
        "Do you deliver on Saturdays?",
        "Can I add something to my order before it ships?",
        "How long do refunds usually take?",
        "Is the {item} available in another colour?",
        "Can I pick up my order from a store?",
        "What's your returns policy for sale items?",
        "How can I track my order?",
        "Please cancel order {order}.",
        "I'd like to change the delivery date for order {order}.",
        "Do you ship to {city}?",
        "When will the {item} be back in stock?",
        "Can I pay for my order in instalments?",
    ],
    "telecom": [
        "Can I upgrade my plan before the contract ends?",
        "How do I set up voicemail?",
        "Do you offer a plan with more data?",
        "Can I keep my number if I switch to a SIM-only plan?",
        "How do I activate roaming?",
        "What's the cheapest plan with unlimited calls?",
        "Can I add a second SIM to my account?",
        "When does my contract end?",
        "I'd like to switch to the {tariff}.",
        "Is fibre available at my address?",
        "How do I change my wifi password?",
        "I'm moving house next month, how do I move my broadband?",
    ],
    "software": [
        "How do I change my email address on my account?",
        "Can I share my subscription with my family?",
        "How do I export my data?",
        "Is there a student discount for {plan}?",
        "How do I turn on two-factor authentication?",
        "Can I use the app on two devices?",
        "How do I delete my account?",
        "Where do I download my invoices?",
        "I'd like to cancel {plan} at the end of this month.",
        "Can I switch from monthly to yearly billing?",
        "Does the app work offline?",
        "How do I change the language in the app?",
    ],
    "travel": [
        "Can I add a checked bag to my booking?",
        "How do I choose my seat?",
        "Can I change the date of my flight?",
        "Is breakfast included in my booking?",
        "What time is check-in at the hotel?",
        "Can I bring a pet on the train?",
        "How much is it to upgrade to business class?",
        "I'd like to add a second guest to my booking for {date}.",
        "Do I need to print my boarding pass?",
        "Is there parking at the hotel in {city}?",
    ],
    "insurance": [
        "Does my policy cover accidental damage?",
        "How do I make a claim?",
        "Can I add my partner to my car insurance?",
        "What's the excess on my home policy?",
        "Am I covered when I travel abroad?",
        "How do I update my address on my policy?",
        "Which documents do you need for a {claim} claim?",
        "I'd like a quote for contents insurance.",
        "Can I pay my premium monthly?",
    ],
    "utilities": [
        "How do I submit a meter reading?",
        "Can I change the date of my direct debit?",
        "How do I move my account to a new address?",
        "Do you offer a green energy tariff?",
        "How do I read my smart meter?",
        "Can I get a copy of last year's bills?",
        "I'm moving out on {date}, what do I need to do?",
        "What's my current unit rate?",
        "I'd like to book a smart meter installation.",
    ],
    "general": [
        "What are your opening hours?",
        "Is there a phone number I can call?",
        "How do I make a complaint?",
        "Can I speak to someone in Spanish?",
        "Where can I find your privacy policy?",
        "How do I update my contact details?",
    ],
}

PRAISE = {
    "banking": [
        "Love the new banking app, it's so easy to use",
        "Opening an account took five minutes, brilliant",
        "Best bank I've ever had",
        "The savings goals feature in the app is really handy",
        "The staff at the branch were so friendly today",
        "Really happy with my new account, thank you",
    ],
    "transfers": [
        "Sending money abroad has never been this easy",
        "My transfers arrive in seconds, love it",
        "Great rates and no hidden fees, very happy",
        "Sent money to my {relative} in {city} in a minute, amazing",
    ],
    "shopping": [
        "The delivery was super fast, it arrived the next day",
        "Returns were so easy, great experience",
        "The {item} is even better than in the photos",
        "Really happy with my {item}, thank you",
        "Lovely packaging and quick delivery",
        "The courier was early and really friendly",
    ],
    "telecom": [
        "The new plan is great value",
        "The signal has been excellent since I switched to you",
        "The engineer was quick and very polite",
        "The fibre is so fast, loving it",
        "Switching my number over was painless, great job",
    ],
    "software": [
        "Love the new update, the dark mode looks great",
        "The app is so much faster now",
        "Really enjoying {plan}, worth every penny",
        "The new design of {screen} is brilliant",
        "Best app I've paid for, keep it up",
    ],
    "travel": [
        "The flight was smooth and the crew were lovely",
        "Check-in took two minutes, great job",
        "The room upgrade was a lovely surprise, thank you",
        "Booking our trip to {city} was quick and easy",
        "Can't wait for our trip to {city}, the booking was so simple",
    ],
    "insurance": [
        "The claim process was so easy, thank you",
        "Really impressed with how fast my claim was paid",
        "Great price on my renewal, happy to stay with you",
        "The person who handled my {claim} claim was so kind",
    ],
    "utilities": [
        "Switching to you was really easy",
        "The new tariff is saving me money, thanks",
        "The app makes sending meter readings so simple",
        "The smart meter installer was quick and tidy",
    ],
    "general": [
        "You've been really helpful",
        "Great customer service as always",
        "The agent on the chat was brilliant",
        "Amazing support, thank you so much",
        "{agent} on the phone was so patient and helpful",
        "Best customer service I've had in years",
        "I've been a customer for {years} years and you never let me down",
    ],
}

COMPLAINTS = {
    "banking": [
        "Worst bank ever.",
        "Your app logs me out every five minutes, it's infuriating.",
        "Why does everything take so long with this bank?",
        "I'm sick of your hidden fees.",
        "Closing a branch and pushing everyone to an app that doesn't work, brilliant idea.",
    ],
    "transfers": [
        "Your transfer fees are a rip-off.",
        "Never again will I use you to send money.",
        "Three days for a transfer in this day and age, pathetic.",
    ],
    "shopping": [
        "Never ordering from you again.",
        "Your delivery service is a joke.",
        "The {item} fell apart after two days, what a waste of money.",
        "Cheap rubbish, I want my money back.",
    ],
    "telecom": [
        "The worst provider I've ever had.",
        "Paying for fibre and getting dial-up speeds, ridiculous.",
        "Your network is useless in my area.",
        "Another price rise, you must be joking.",
    ],
    "software": [
        "This app has been a joke since the update.",
        "The new update is terrible, bring back the old version.",
        "Paying for {plan} and half the features don't work, unbelievable.",
        "Your app is so buggy it's embarrassing.",
    ],
    "travel": [
        "Never flying with you again.",
        "Two hours in the queue at check-in, absolutely shambolic.",
        "The room was filthy and nobody cared.",
        "Ruined our holiday, thanks a lot.",
    ],
    "insurance": [
        "What's the point of paying for insurance if you never pay out?",
        "Your claims process is a nightmare.",
        "Twelve years with you and this is how you treat me.",
    ],
    "utilities": [
        "Your billing is a complete mess.",
        "Every single bill is wrong, I'm sick of it.",
        "How can anyone afford these prices?",
    ],
    "general": [
        "Been on hold for {minutes} minutes, this is ridiculous.",
        "Your customer service is the worst.",
        "Nobody ever answers the phone, why do you even have a number?",
        "I want to speak to a manager NOW.",
        "Why is it so hard to get a straight answer???",
        "Your chatbot is useless.",
        "Every time I contact you I get a different answer.",
        "I've been passed between four departments and nobody can help.",
    ],
}

STAKES = {
    "banking": [
        "I have bills due this week",
        "I have nothing else to pay with",
        "I'm abroad and have no other way to pay",
        "I need to pay my rent today",
    ],
    "transfers": [
        "that money was for my rent",
        "my {relative} needs it for the hospital bill",
        "it's all my savings",
        "the deposit on our flat is due tomorrow",
    ],
    "shopping": ["it's a birthday present for this weekend", "I need it for work on Monday", "it cost me {amount}"],
    "telecom": [
        "I work from home and can't do my job",
        "my elderly {relative} relies on calling me",
        "my kids have exams and need the internet",
    ],
    "software": ["all my work is in that account", "I have a deadline tomorrow", "years of photos are in there"],
    "travel": ["I'm supposed to fly out tomorrow", "I'm stuck abroad with nothing to wear", "we've paid for the whole trip already"],
    "insurance": ["I can't afford the repairs without the payout", "my car is my only way to get to work", "I have a family to look after"],
    "utilities": ["I can't afford a bill this big", "I have a newborn baby at home", "my {relative} is elderly and needs heating"],
    "general": ["I really need this sorted", "I don't know who else to ask"],
}

PLACES = [
    "the supermarket",
    "a petrol station",
    "the pharmacy",
    "a restaurant",
    "the shop",
    "an online store",
    "a cafe",
    "the train station",
    "the cinema",
    "a hotel",
]
ATMS = ["at the station", "in the town centre", "outside your branch", "at the shopping centre", "on the high street"]
DAYS = [
    "today",
    "yesterday",
    "this morning",
    "last night",
    "on Monday",
    "on Friday",
    "over the weekend",
    "earlier today",
    "on Tuesday",
    "this afternoon",
]
SINCE = ["yesterday", "Monday", "the weekend", "this morning", "last week", "Thursday", "the 3rd", "the start of the month"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
AGO = [
    "two days ago",
    "last week",
    "a week ago",
    "ten days ago",
    "three days ago",
    "on Monday",
    "a few days ago",
    "last month",
    "five days ago",
]
RELATIVES = ["mum", "dad", "sister", "brother", "son", "daughter", "friend", "landlord", "grandmother", "partner"]
ITEMS = [
    "jacket",
    "phone case",
    "pair of trainers",
    "coffee machine",
    "desk lamp",
    "backpack",
    "blender",
    "pair of headphones",
    "winter coat",
    "kettle",
    "office chair",
    "smartwatch",
    "set of bed sheets",
    "toaster",
    "laptop stand",
    "kids' bike",
]
CITIES = [
    "Lisbon",
    "Berlin",
    "Madrid",
    "Dublin",
    "Rome",
    "Krakow",
    "Manchester",
    "Lyon",
    "Vienna",
    "Athens",
    "Toronto",
    "Nairobi",
    "Manila",
    "Mumbai",
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
PLANS = [
    "the Plus plan",
    "my Premium membership",
    "the Family plan",
    "the Pro subscription",
    "the yearly plan",
    "my Lumo Cloud storage plan",
]
TARIFFS = ["unlimited data plan", "SIM-only plan", "Family bundle", "Fibre 500 package", "Basic plan"]
SCREENS = ["the payments tab", "my profile", "the settings page", "the statements section", "the camera", "the search page", "my inbox"]
CLAIMS = ["water damage", "broken phone", "car repair", "stolen bike", "lost luggage", "storm damage", "cracked windscreen"]
NAMES = ["Sam", "Priya", "Tom", "Aisha", "Marek", "Lena", "Jo", "Carlos", "Mei", "Olu", "Hannah", "Dev", "Ines", "Kofi", "Rachel", "Tariq"]
NTH = ["second", "third", "fourth", "fifth", "third", "third"]
COUNT = ["twice", "three times", "four times", "five times", "six times"]


def _amount(rng: random.Random) -> str:
    style = rng.random()
    value = rng.choice([rng.randint(5, 120), rng.randint(20, 900), rng.randint(100, 3000)])
    if style < 0.55:
        sym = rng.choice(["£", "$", "€"])
        return f"{sym}{value:,}" if rng.random() < 0.7 else f"{sym}{value}.{rng.randint(0, 99):02d}"
    if style < 0.8:
        return f"{value:,} {rng.choice(['pounds', 'dollars', 'euros'])}"
    return f"{rng.choice(['EUR', 'GBP', 'USD'])} {value:,}"


def _slots(rng: random.Random) -> dict[str, str]:
    item, item2 = rng.sample(ITEMS, 2)
    mbps2 = rng.choice([100, 150, 300, 500, 900])
    return {
        "place": rng.choice(PLACES),
        "atm": rng.choice(ATMS),
        "day": rng.choice(DAYS),
        "since": rng.choice(SINCE),
        "weekday": rng.choice(WEEKDAYS),
        "ago": rng.choice(AGO),
        "amount": _amount(rng),
        "relative": rng.choice(RELATIVES),
        "item": item,
        "item2": item2,
        "order": f"#{rng.randint(10000, 99999)}"
        if rng.random() < 0.6
        else f"{rng.choice(['AB', 'KX', 'R', 'W'])}{rng.randint(100000, 999999)}",
        "city": rng.choice(CITIES),
        "month": rng.choice(MONTHS),
        "date": f"{rng.choice(MONTHS)} {rng.randint(1, 28)}"
        if rng.random() < 0.5
        else f"the {rng.randint(1, 28)}th of {rng.choice(MONTHS)}",
        "plan": rng.choice(PLANS),
        "tariff": rng.choice(TARIFFS),
        "screen": rng.choice(SCREENS),
        "claim": rng.choice(CLAIMS),
        "mbps": str(rng.randint(2, mbps2 // 4)),
        "mbps2": str(mbps2),
        "ref": f"{rng.choice(['CR', 'REF', 'C-'])}{rng.randint(10000, 999999)}",
        "digits": str(rng.randint(1000, 9999)),
        "agent": rng.choice(NAMES),
        "name": rng.choice(NAMES),
        "n": str(rng.randint(3, 21)),
        "minutes": str(rng.choice([25, 40, 45, 50, 60, 75, 90, 120])),
        "years": str(rng.randint(3, 25)),
        "nth": rng.choice(NTH),
        "count": rng.choice(COUNT),
        "deadline": rng.choice(["today", "by Friday", "by tomorrow", "this week", "by the end of the day"]),
    }


def _cap(text: str) -> str:
    return text if text[1:2].isupper() else text[:1].upper() + text[1:]  # "eSIM" stays as it is


def _fill(template: str, slots: dict[str, str]) -> str:
    return template.format_map(slots)


def _pick(rng: random.Random, items: list[str] | tuple[str, ...], slots: dict[str, str]) -> str:
    return rng.choice(items).format_map(slots)


def _maybe(rng: random.Random, p: float, text: str) -> str:
    return text if rng.random() < p else ""


# ----------------------------------------------------------------------------------------------------------------
# shared pieces

GREETINGS = ["Hi,", "Hello,", "Hello team,", "Hi there,", "Good morning,", "Good afternoon,", "Hey,", "Hi team,"]
FORMAL_GREETINGS = ["Dear support team,", "Dear Sir or Madam,", "Dear customer service,", "To whom it may concern,"]
SIGN_OFFS = ["Regards, {name}", "Kind regards, {name}", "Best, {name}", "{name}", "Best regards, {name}", "Regards"]


def _greet(rng: random.Random, p: float = 0.3) -> str:
    return rng.choice(GREETINGS) if rng.random() < p else ""


def _sign(rng: random.Random, slots: dict[str, str], p: float = 0.12) -> str:
    return rng.choice(SIGN_OFFS).format_map(slots) if rng.random() < p else ""


# ----------------------------------------------------------------------------------------------------------------
# neutral: questions, requests and plain problem reports

PLAIN_ASKS = [
    "Can you check?",
    "Could you look into this please?",
    "Can you tell me what happened?",
    "What should I do?",
    "Could you advise on next steps?",
    "Please let me know what I need to do.",
    "How long does this usually take?",
    "Is there anything I need to do?",
    "Can you help?",
    "Could someone check this for me?",
    "What are my options?",
    "Who should I contact about this?",
    "Is there a problem on your side?",
    "Can you tell me why?",
    "Please advise.",
    "How can I fix this?",
    "Can you sort this out for me?",
]
CONTEXT = [
    "I've attached a screenshot.",
    "My reference number is {ref}.",
    "My customer number is {digits}.",
    "You can reach me on this email.",
    "I'm available all day if you need to call me.",
    "I'm using the latest version of the app.",
    "This is the first time this has happened.",
    "My account number ends in {digits}.",
    "I've already checked my details.",
]
POLITE = ["Thanks in advance.", "Thank you.", "Many thanks.", "Thanks."]
STATUS = [
    "Is there an update on {topic}?",
    "Could you give me an update on {topic}?",
    "Just checking on the status of {topic}.",
    "Any news on {topic}?",
    "I'm writing about {topic}.",
    "I have a question about {topic}.",
    "Can someone help me with {topic}?",
    "I need some help with {topic}.",
    "Following up on {topic}, reference {ref}.",
]


def _neutral_problem(rng: random.Random, sit: Situation, slots: dict[str, str]) -> str:
    report = _pick(rng, sit.reports, slots)
    ask = rng.choice(PLAIN_ASKS)
    templates = [
        lambda: f"{_greet(rng)} {_cap(report)}.",
        lambda: f"{_greet(rng)} {_cap(report)}. {ask}",
        lambda: f"{_cap(report)}, can you check?",
        lambda: f"{_cap(report)}. {_fill(rng.choice(CONTEXT), slots)} {ask}",
        lambda: f"{_greet(rng, 0.6)} {_cap(report)}. {ask} {_maybe(rng, 0.15, rng.choice(POLITE))}",
        lambda: (
            f"{rng.choice(FORMAL_GREETINGS)} I am writing because {report}. {_fill(rng.choice(CONTEXT), slots)} Could you please look into this? {_fill(rng.choice(SIGN_OFFS[:3]), slots)}"
        ),
        lambda: f"Quick question, {report}. {ask}",
        lambda: f"{_cap(_fill(rng.choice(STATUS[4:8]), {**slots, 'topic': sit.topic.format_map(slots)}))} {_cap(report)}.",
        lambda: f"{_cap(_pick(rng, sit.short, slots))}.",
        lambda: f"{_cap(_pick(rng, sit.short, slots))}, {ask[:1].lower() + ask[1:]}",
        lambda: f"{_cap(_pick(rng, sit.short, slots))}. {_fill(rng.choice(CONTEXT), slots)}",
        lambda: f"I'd like to report a problem: {report}.",
        lambda: f"{_cap(report)}. I'd like to know what to do next.",
        lambda: f"Hello, just to let you know that {report}. {ask}",
        lambda: f"{_cap(report)}. Could you look into it? {_sign(rng, slots, 0.5)}",
    ]
    return rng.choice(templates)()


def _neutral(rng: random.Random) -> str:
    slots = _slots(rng)
    roll = rng.random()
    if roll < 0.6:
        return _neutral_problem(rng, rng.choice(SITUATIONS), slots)
    if roll < 0.88:
        domain = rng.choice(DOMAINS)
        question = _pick(rng, HOWTO[domain], slots)
        return f"{_greet(rng, 0.35)} {question} {_maybe(rng, 0.12, rng.choice(POLITE))} {_sign(rng, slots, 0.1)}"
    sit = rng.choice(SITUATIONS)
    status = _fill(rng.choice(STATUS), {**slots, "topic": sit.topic.format_map(slots)})
    return f"{_greet(rng, 0.35)} {status} {_maybe(rng, 0.3, _fill(rng.choice(CONTEXT), slots))}"


# ----------------------------------------------------------------------------------------------------------------
# negative: the same situations with frustration, worry, disappointment, sarcasm, threats or accusations

NEG_OPENERS = [
    "I'm so frustrated.",
    "This is ridiculous.",
    "Honestly, I'm fed up.",
    "Unbelievable.",
    "Seriously?",
    "I'm really annoyed.",
    "Not happy at all.",
    "I can't believe this.",
    "What a joke.",
    "This is beyond a joke.",
    "I'm losing my patience with you.",
    "Absolutely furious right now.",
    "I'm sick of this.",
    "Are you kidding me?",
    "This is a disgrace.",
    "Really angry right now.",
    "I've had enough.",
    "So annoyed.",
    "You have got to be joking.",
]
NEG_CLOSERS = [
    "This is unacceptable.",
    "Worst service ever.",
    "Absolutely useless.",
    "Sort it out.",
    "I expected better.",
    "Really disappointing.",
    "How hard can it be?",
    "Nobody seems to care.",
    "Pathetic.",
    "This is a joke.",
    "Fix it.",
    "I'm fed up with this.",
    "Shocking service.",
    "Completely unacceptable.",
    "Do your job.",
    "What a waste of time.",
    "I'm so done with this.",
    "Ridiculous.",
]
IMPATIENCE = [
    "It's been {n} days.",
    "It's been two weeks.",
    "This is the {nth} time I've contacted you about this.",
    "I've called {count} already.",
    "I've been waiting since {since}.",
    "Still nothing.",
    "Still no answer.",
    "And it's happened again.",
    "Nobody has got back to me.",
    "I've been waiting {n} days for an answer.",
    "It's been over a week.",
    "I've explained this {count} now.",
    "Same problem as last month.",
    "For the {nth} time.",
    "I've been on hold for {minutes} minutes.",
    "Every week it's the same story.",
]
THREATS = [
    "If this isn't sorted {deadline} I'm closing my account.",
    "I'll be leaving a review everywhere I can.",
    "I'm switching to another {company} as soon as I can.",
    "I'm going to report this to the ombudsman.",
    "I'll cancel my contract.",
    "I'm posting about this everywhere.",
    "Fix this or I'm leaving.",
    "I'll be taking this further.",
    "Sort it out {deadline} or I'm done with you.",
    "I'm telling everyone I know to avoid you.",
]
ACCUSATIONS = [
    "You've stolen my money.",
    "This is a scam.",
    "You're ripping me off.",
    "You're just sitting on my money.",
    "You lied to me on the phone.",
    "Give me back my {amount}.",
    "This is daylight robbery.",
    "You are a bunch of thieves.",
    "Where is my money???",
]
WORRY_OPENERS = [
    "I'm really worried,",
    "I'm panicking a bit,",
    "I'm very anxious about this,",
    "Please help, I'm really stressed,",
    "I'm scared something is wrong,",
    "I'm really nervous,",
    "Please help urgently,",
    "I'm at my wits' end,",
]
WORRY_CLOSERS = [
    "I don't know what to do.",
    "I'm really worried.",
    "Please help, I'm panicking.",
    "I can't sleep over this.",
    "I'm so stressed.",
]
SARCASM = [
    "Great, {report}. Just perfect.",
    "Love how {report}. Brilliant service as always.",
    "Oh wonderful, {report} again.",
    "Fantastic job, {report}.",
    "Thanks for nothing, {report}.",
    "Well done, {report}. Amazing.",
    "Brilliant. {Report}. Again.",
    "Oh great, {report}. Thanks so much for your help.",
    "Another great day with your {company}, {report}.",
    "Nice one, {report}. Five stars.",
]
DISAPPOINTMENT = [
    "I'm really disappointed, {report}.",
    "Very disappointed that {report}.",
    "I've been a customer for {years} years and {report}. Really disappointing.",
    "Such a letdown. {Report}.",
    "Not impressed. {Report}.",
    "I expected more from you. {Report}.",
    "So disappointed. {Report} and nobody can tell me why.",
    "I used to recommend your {company} but {report} and I'm not impressed.",
]
MIXED = [
    "Thanks for getting back to me, but this is the {nth} time {report}.",
    "I appreciate the reply, but {report} and it's been {n} days.",
    "Your agent was polite, but {report} and nothing has changed.",
    "I know you're busy, but {report} and I've waited {n} days.",
    "Thanks, but that didn't help. {Report}.",
    "Thanks for the reply, but {report} and I'm getting really fed up.",
    "I was told it would be fixed, but {report} again.",
    "OK, thanks, but {report} and nobody has explained why.",
]
WAITING = re.compile(r"n't|haven|since|not ")
SHOUT = {
    "still",
    "again",
    "never",
    "nothing",
    "now",
    "useless",
    "ridiculous",
    "unacceptable",
    "days",
    "weeks",
    "nobody",
    "twice",
    "third",
    "worst",
    "joke",
    "fix",
    "money",
}


def _negative_situation(rng: random.Random, sit: Situation, slots: dict[str, str]) -> str:
    report = _pick(rng, sit.reports, slots)
    short = _pick(rng, sit.short, slots)
    company = rng.choice(COMPANY[sit.domain])
    slots = {**slots, "company": company}
    fill = {**slots, "report": report, "Report": _cap(report)}
    opener = rng.choice(NEG_OPENERS)
    closer = rng.choice(NEG_CLOSERS)
    wait = _fill(rng.choice(IMPATIENCE), slots)
    stake = _pick(rng, STAKES[sit.domain] + STAKES["general"][:1], slots)
    templates = [
        lambda: f"{opener} {_cap(report)}. {closer}",
        lambda: f"{_greet(rng, 0.2)} {_cap(report)}. {wait} {closer}",
        lambda: f"{_cap(report)} and it's still not sorted. {closer}",
        lambda: f"{_cap(report)}. {wait} {_fill(rng.choice(THREATS), slots)}",
        lambda: f"{opener} {_cap(report)}. {_fill(rng.choice(THREATS), slots)}",
        lambda: f"{_cap(_fill(rng.choice(SARCASM), fill))}",
        lambda: f"{_fill(rng.choice(DISAPPOINTMENT), fill)}",
        lambda: f"{_fill(rng.choice(MIXED), fill)} {_maybe(rng, 0.4, closer)}",
        lambda: f"{rng.choice(WORRY_OPENERS)} {report} and {stake}.",
        lambda: f"{_cap(report)} and {stake}. {rng.choice(WORRY_CLOSERS)}",
        lambda: f"{rng.choice(WORRY_OPENERS)} {report}. {_cap(stake)}. {rng.choice(WORRY_CLOSERS)}",
        lambda: f"{_cap(short)} again. {closer}",
        lambda: f"{_cap(short)}, still not fixed. {wait}",
        lambda: f"{_cap(short)} AGAIN!!",
        lambda: f"{_cap(short)}?? {opener}",
        lambda: f"{_cap(report)}, your {company} is {rng.choice(['useless', 'a joke', 'hopeless', 'a nightmare', 'the worst'])}.",
        lambda: (
            f"{rng.choice(FORMAL_GREETINGS)} I am extremely unhappy. {_cap(report)}. {wait} I expect this to be resolved {slots['deadline']}. {_fill(rng.choice(SIGN_OFFS[:3]), slots)}"
        ),
        lambda: (
            f"I want to make a formal complaint. {_cap(report)} and {rng.choice(['nobody has helped me', 'your staff were rude', 'I have been ignored', 'I keep getting passed around'])}."
        ),
        lambda: f"Still waiting on an answer about {sit.topic.format_map(slots)}. {closer}",
        lambda: f"Still waiting on {sit.topic.format_map(slots)}?? {wait}",
        lambda: f"What is going on with {sit.topic.format_map(slots)}? {wait} {closer}",
    ]
    if not report.startswith("I "):  # about what happened to the customer, not what they did
        templates += [
            lambda: f"Why is it that {report}? {closer}",
            lambda: f"How is it possible that {report}? {wait}",
            lambda: f"For the {slots['nth']} time, {report}. {closer}",
        ]
    if WAITING.search(report):
        templates.append(
            lambda: f"It's been {rng.choice(['two weeks', 'ten days', 'a month', 'three weeks', 'over a week'])} and {report}. {closer}"
        )
    if sit.money:
        accusation = _fill(rng.choice(ACCUSATIONS), slots)
        templates += [
            lambda: f"{_cap(report)}. {accusation}",
            lambda: f"{accusation} {_cap(report)} and nobody is helping.",
            lambda: f"{_cap(report)}. {accusation} {_fill(rng.choice(THREATS), slots)}",
        ]
    return rng.choice(templates)()


NEG_SHORT = [
    "still waiting",
    "been waiting forever",
    "worst service ever",
    "this is ridiculous",
    "absolutely useless",
    "so fed up with you",
    "fix your app",
    "never again",
    "what a joke",
    "sort it out",
    "this is unacceptable",
    "terrible customer service",
    "nobody answers the phone",
    "why is this so hard",
    "waste of money",
    "hate the new app",
    "so annoying",
    "done with this company",
]


def _negative(rng: random.Random) -> str:
    slots = _slots(rng)
    roll = rng.random()
    if roll < 0.72:
        text = _negative_situation(rng, rng.choice(SITUATIONS), slots)
    elif roll < 0.93:
        domain = rng.choice(DOMAINS)
        complaint = _pick(rng, COMPLAINTS[domain], slots)
        text = rng.choice(
            [
                lambda: complaint,
                lambda: f"{rng.choice(NEG_OPENERS)} {complaint}",
                lambda: f"{complaint} {rng.choice(NEG_CLOSERS)}",
                lambda: f"{complaint} {_fill(rng.choice(THREATS), {**slots, 'company': rng.choice(COMPANY[domain])})}",
            ]
        )()
    else:
        text = rng.choice(NEG_SHORT)
    if rng.random() < 0.3:
        text = text.strip()
        if text.endswith("?"):
            text = text[:-1] + rng.choice(["???", "??", "?!"])
        elif text.endswith("."):
            text = text[:-1] + rng.choice(["!!", "!!!", "!"])
    if rng.random() < 0.18:
        words = text.split()
        loud = [i for i, w in enumerate(words) if w.strip(".,!?").lower() in SHOUT]
        if loud:
            i = rng.choice(loud)
            words[i] = words[i].upper()
            text = " ".join(words)
    return text


# ----------------------------------------------------------------------------------------------------------------
# positive: the same situations resolved, with thanks; praise, relief, excitement

THANKS = [
    "Thank you so much",
    "Thanks a lot",
    "Many thanks",
    "Thanks",
    "Cheers",
    "Big thanks to your team",
    "Thank you for your help",
    "Thanks so much",
    "Thank you",
]
PRAISE_TAGS = [
    "Great service!",
    "You've been really helpful.",
    "Brilliant support.",
    "Really impressed.",
    "Fantastic job.",
    "Excellent service as always.",
    "Super quick, thank you.",
    "Really appreciate it.",
    "You're the best.",
    "Top service.",
    "Great job, team.",
    "Much appreciated.",
    "Very happy customer here.",
]
SPEED = ["within an hour", "the same day", "in a day", "faster than I expected", "in minutes", "by the next morning", "in under a day"]


def _positive_situation(rng: random.Random, sit: Situation, slots: dict[str, str]) -> str:
    fixed = _pick(rng, sit.fixed, slots)
    thanks = rng.choice(THANKS)
    tag = rng.choice(PRAISE_TAGS)
    company = rng.choice(COMPANY[sit.domain])
    topic = sit.topic.format_map(slots)
    templates = [
        lambda: f"{thanks}, {fixed}!",
        lambda: f"{thanks}, {fixed}. {tag}",
        lambda: f"{_cap(fixed)}, thanks a lot!",
        lambda: f"Just wanted to say thanks, {fixed}.",
        lambda: f"Great news, {fixed}. Thank you!",
        lambda: f"{_cap(fixed)}. {tag}",
        lambda: f"Phew, {fixed}. What a relief!",
        lambda: f"What a relief, {fixed}. Thanks for sorting it so quickly.",
        lambda: f"{_cap(fixed)}. It was sorted {rng.choice(SPEED)}. {tag}",
        lambda: f"{slots['agent']} on the chat was brilliant, {fixed}.",
        lambda: f"It took a little while but {fixed}. Thank you!",
        lambda: f"I was worried about {topic}, but {fixed}. Thanks so much!",
        lambda: f"Thanks for your help {rng.choice(['yesterday', 'earlier', 'this morning', 'last week'])}, {fixed}.",
        lambda: f"Following up to say {fixed}. Really appreciate it.",
        lambda: f"Update: {fixed}. Thanks, team!",
        lambda: f"All sorted, {fixed}. Cheers!",
        lambda: f"Excellent service, {fixed} {rng.choice(SPEED)}.",
        lambda: f"{_cap(fixed)}! Best {company} ever.",
        lambda: f"{_greet(rng, 0.5)} Just a quick note to say {fixed}. {thanks}!",
        lambda: (
            f"{rng.choice(FORMAL_GREETINGS)} I would like to thank your team, {fixed}. The help I received was excellent. {_fill(rng.choice(SIGN_OFFS[:3]), slots)}"
        ),
        lambda: f"Yay, {fixed}!",
        lambda: f"So happy, {fixed}! {thanks}.",
        lambda: (
            f"Good news, {fixed}. {rng.choice(['Thank you for being so quick.', 'You made my day.', 'Really grateful.', 'Happy customer!'])}"
        ),
        lambda: f"{_cap(fixed)} and your team kept me updated the whole time. {tag}",
        lambda: f"Wow, {fixed} {rng.choice(SPEED)}. Impressed!",
    ]
    return rng.choice(templates)()


POS_SHORT = [
    "Thanks, that fixed it!",
    "Works now, thank you!",
    "All sorted, cheers!",
    "Brilliant, thank you!",
    "Perfect, thanks so much!",
    "You're a star, thanks!",
    "Amazing, it worked!",
    "Great service, thanks!",
    "Problem solved, thank you!",
    "Love the new app!",
    "Much appreciated, thanks!",
    "That worked, thanks a lot.",
    "Super helpful, thank you",
    "thanks so much, all good now",
    "Fixed! Thank you!",
    "great stuff, cheers",
    "Lovely, thank you!",
    "you guys are amazing",
    "best support ever",
    "Awesome, thanks for the quick reply!",
    "Perfect, that's exactly what I needed.",
    "Really happy with the service",
]


def _positive(rng: random.Random) -> str:
    slots = _slots(rng)
    roll = rng.random()
    if roll < 0.58:
        return _positive_situation(rng, rng.choice(SITUATIONS), slots)
    if roll < 0.92:
        domain = rng.choice(DOMAINS)
        praise = _pick(rng, PRAISE[domain], slots)
        return rng.choice(
            [
                lambda: f"{praise}!",
                lambda: f"{praise}. {rng.choice(PRAISE_TAGS)}",
                lambda: f"{praise}, {rng.choice(THANKS).lower()}!",
                lambda: f"{_greet(rng, 0.6)} {praise}. {rng.choice(THANKS)}!",
                lambda: f"Just wanted to say: {praise[:1].lower() + praise[1:]}.",
                lambda: f"{praise}. Keep up the good work!",
                lambda: f"{praise}. Really pleased, {rng.choice(THANKS).lower()}. {_sign(rng, slots, 0.4)}",
            ]
        )()
    return rng.choice(POS_SHORT)


# ----------------------------------------------------------------------------------------------------------------


def _chat_style(text: str, rng: random.Random) -> str:
    """The message as typed in a chat window: lower case, no final full stop, sometimes no apostrophes."""
    text = text.lower()
    if rng.random() < 0.5:
        text = text.replace("'", "")
    if rng.random() < 0.5:
        text = text.replace(", ", " ")
    text = re.sub(r"\.$", "", text)
    text = re.sub(r"^(hello team|hi there|hi team|hello|hey|hi),? ", lambda m: rng.choice(["hey ", "hi ", "", m.group(0)]), text)
    return text


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r" ([,.?!])", r"\1", text)


def customer_messages(n_per_label: int = 1500, seed: int = 7) -> list[tuple[str, str]]:
    """(text, label) rows, labels 'negative', 'neutral', 'positive', n_per_label each, no duplicate texts, deterministic."""
    rng = random.Random(seed)
    makers = {"negative": _negative, "neutral": _neutral, "positive": _positive}
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for label, make in makers.items():
        count = attempts = 0
        while count < n_per_label:
            attempts += 1
            if attempts > n_per_label * 50:
                raise RuntimeError(f"could not generate {n_per_label} distinct {label} messages")
            text = _tidy(make(rng))
            if rng.random() < 0.2 and not re.search(r"\b[A-Z]{3,}\b", text):
                text = _tidy(_chat_style(text, rng))
            if text and text not in seen:
                seen.add(text)
                rows.append((text, label))
                count += 1
    return rows
