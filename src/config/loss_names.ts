/** Loss names a config may use; each is implemented in src/distill/losses and registered there. */
export const LOSS_NAMES = ['mse', 'cosine', 'ibkd', 'hidden_mse', 'attention', 'margin_mse'] as const;
