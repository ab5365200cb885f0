package journal

// PaidOut is the entry of a payout: the provider paid amount out of the shop's balance to its bank and
// kept fees from the transactions it paid out, so the clearing account, which holds what buyers paid,
// gives up both. reference is the provider's payout ID.
func PaidOut(currency string, amount, fees int64, reference string) Entry {
	return Entry{Kind: KindPayout, Currency: currency, PaymentReference: reference, Memo: "Payout " + reference,
		Lines: []Line{
			{Account: Bank, Debit: amount},
			{Account: PaymentFees, Debit: fees},
			{Account: CashClearing, Credit: amount + fees},
		}}
}

// PayoutFailed is the entry of a payout that came back: the money is in the provider's balance again,
// and the fees stay kept (they were for the transactions, not the payout), so only the bank line is
// reversed.
func PayoutFailed(currency string, amount int64, reference string) Entry {
	return Entry{Kind: KindPayoutFailed, Currency: currency, PaymentReference: reference, Memo: "Failed payout " + reference,
		Lines: []Line{
			{Account: CashClearing, Debit: amount},
			{Account: Bank, Credit: amount},
		}}
}
