import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { BrowserRouter } from 'react-router'
import { ApiError } from './api/client'
import { I18nProvider } from './i18n'
import { App } from './App'
import './styles.css'

const queryClient: QueryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // Client errors will not get better by retrying; network errors and 503s may.
      retry: (count, error) => count < 3 && !(error instanceof ApiError && error.status < 500),
      refetchOnWindowFocus: false
    }
  },
  // A session that ended while the app is open: back to the sign-in screen.
  queryCache: new QueryCache({
    onError(error) { if (error instanceof ApiError && error.status === 401) queryClient.setQueryData(['me'], null) }
  })
})

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <I18nProvider>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </I18nProvider>
    </QueryClientProvider>
  </StrictMode>
)
